import type { ShopSettings } from './settings';
import type { Shop } from './store/shops.repo';

/** The name customers see: the merchant's profile name, else the shop's own. */
export function shopDisplayName(shop: Shop, settings: ShopSettings): string {
  return settings.profile?.name?.trim() || shop.name;
}

/**
 * The greeting the merchant wrote for `locale`, or undefined: each channel then says its own
 * default (a phone line thanks the caller for calling, a chat says hello).
 */
export function shopGreeting(settings: ShopSettings, locale: string): string | undefined {
  return settings.profile?.greeting?.[locale]?.trim() || undefined;
}
