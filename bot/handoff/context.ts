import type { Shop, ShopSettings } from '../store/shops.repo';

/** What the agent sees of the customer; `skills/` implements it over the shop's commerce backend. */
export interface CustomerProfile {
  name?: string;
  /** Trust tier (stars, 0–5). */
  tier?: number;
}

export interface OrderSummary {
  id: string;
  status: string;
  total: number;
  currency: string;
  createdAt: string;
  items: { name: string; quantity: number }[];
}

export interface CustomerDirectory {
  profile(input: {
    shop: Shop;
    settings: ShopSettings;
    userId: string;
  }): Promise<CustomerProfile | undefined>;
  recentOrders(input: {
    shop: Shop;
    settings: ShopSettings;
    userId: string;
    limit: number;
  }): Promise<OrderSummary[]>;
}
