import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from './db';
import { shops, shopSettings } from './schema';
import { newId, newSecret } from '../ids';
import { type SettingsPatch, type ShopSettings, parseSettings } from '../settings';

export type { ShopSettings };

export interface Shop {
  id: string;
  name: string;
  locales: string[];
  identitySecret: string;
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

export class ShopsRepo {
  constructor(private readonly db: Db) {}

  /** Creates a shop; the API key is returned here once and only its hash is kept. */
  async create(input: {
    id?: string;
    name: string;
    locales: string[];
    apiKey?: string;
    identitySecret?: string;
  }) {
    const id = input.id ?? newId('shop');
    const apiKey = input.apiKey ?? newSecret('sk');
    const identitySecret = input.identitySecret ?? newSecret('ids');
    await this.db.transaction(async (tx) => {
      await tx.insert(shops).values({
        id,
        name: input.name,
        locales: input.locales,
        apiKeyHash: hashApiKey(apiKey),
        identitySecret,
      });
      await tx.insert(shopSettings).values({ shopId: id, settings: {} });
    });
    return { id, apiKey, identitySecret };
  }

  async findById(id: string): Promise<Shop | undefined> {
    const [row] = await this.db.select().from(shops).where(eq(shops.id, id));
    return row && toShop(row);
  }

  async findByApiKey(apiKey: string): Promise<Shop | undefined> {
    const [row] = await this.db
      .select()
      .from(shops)
      .where(eq(shops.apiKeyHash, hashApiKey(apiKey)));
    return row && toShop(row);
  }

  async getSettings(shopId: string): Promise<ShopSettings> {
    const [row] = await this.db
      .select({ settings: shopSettings.settings })
      .from(shopSettings)
      .where(eq(shopSettings.shopId, shopId));
    return parseSettings(row?.settings);
  }

  /**
   * Merge-update: objects merge key by key, everything else replaces, and null removes the field
   * (settingsPatchSchema allows it only where the section stays valid). Returns the whole new settings.
   */
  async mergeSettings(shopId: string, patch: SettingsPatch): Promise<ShopSettings> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ settings: shopSettings.settings })
        .from(shopSettings)
        .where(eq(shopSettings.shopId, shopId))
        .for('update');
      const merged = deepMerge(row?.settings ?? {}, patch as Record<string, unknown>);
      // The backend is one choice (demo or http): a new one replaces the old, never mixes with it.
      if (patch.commerce) merged.commerce = patch.commerce;
      await tx
        .insert(shopSettings)
        .values({ shopId, settings: merged })
        .onConflictDoUpdate({
          target: shopSettings.shopId,
          set: { settings: merged, updatedAt: new Date() },
        });
      return parseSettings(merged);
    });
  }
}

function toShop(row: typeof shops.$inferSelect): Shop {
  return { id: row.id, name: row.name, locales: row.locales, identitySecret: row.identitySecret };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A JSON merge patch (RFC 7396 in spirit): objects merge key by key, other values replace, null
 * removes the key, and an object a removal leaves empty is removed too.
 */
export function deepMerge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      delete out[key];
      continue;
    }
    if (!isPlainObject(value)) {
      out[key] = value;
      continue;
    }
    // Merged into {} when nothing is there, so a null inside a new object is never stored.
    const current = out[key];
    const merged = deepMerge(isPlainObject(current) ? current : {}, value);
    if (Object.keys(merged).length === 0 && Object.keys(value).length > 0) delete out[key];
    else out[key] = merged;
  }
  return out;
}
