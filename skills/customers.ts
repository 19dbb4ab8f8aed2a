import type { CustomerDirectory } from '../bot/handoff/context';
import type { ShopSettings } from '../bot/settings';
import type { CommerceResolver } from '../commerce/commerce-resolver';

/**
 * The agent's view of a customer from the shop's commerce backend: profile and trust tier, and
 * the latest orders. Only ever asked for customers the shop vouched for (the caller checks).
 */
export function createCustomerDirectory(commerce: CommerceResolver): CustomerDirectory {
  const backendOf = (shopId: string, settings: ShopSettings) => commerce(shopId, settings);
  return {
    async profile({ shop, settings, userId }) {
      const customer = await backendOf(shop.id, settings)?.getCustomer(userId);
      return customer && { name: customer.name, tier: customer.tier };
    },
    async recentOrders({ shop, settings, userId, limit }) {
      const orders = (await backendOf(shop.id, settings)?.listOrders(userId, limit)) ?? [];
      return orders.map((o) => ({
        id: o.id,
        status: o.status,
        total: o.total,
        currency: o.currency,
        createdAt: o.createdAt,
        items: o.items.map((i) => ({ name: i.title, quantity: i.qty })),
      }));
    },
  };
}
