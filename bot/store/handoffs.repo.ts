import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from './db';
import { handoffs } from './schema';
import { newId } from '../ids';

export type HandoffStatus = 'pending' | 'assigned' | 'resolved' | 'transferred' | 'expired';

export interface Handoff {
  id: string;
  shopId: string;
  conversationId: string;
  status: HandoffStatus;
  reason: string;
  tier: string;
  assignedTo: string | null;
  createdAt: string;
}

export class HandoffsRepo {
  constructor(private readonly db: Db) {}

  /** The conversation's open handoff (pending or assigned), if any. */
  async findOpen(shopId: string, conversationId: string): Promise<Handoff | undefined> {
    const [row] = await this.db
      .select()
      .from(handoffs)
      .where(
        and(
          eq(handoffs.shopId, shopId),
          eq(handoffs.conversationId, conversationId),
          inArray(handoffs.status, ['pending', 'assigned']),
        ),
      );
    return row && toHandoff(row);
  }

  /** Requests a person for the conversation; an open request is reused, never duplicated. */
  async request(shopId: string, conversationId: string, reason: string, tier = 'L1'): Promise<Handoff> {
    const open = await this.findOpen(shopId, conversationId);
    if (open) return open;
    const [row] = await this.db
      .insert(handoffs)
      .values({ id: newId('h'), shopId, conversationId, status: 'pending', reason, tier })
      .returning();
    return toHandoff(row!);
  }
}

function toHandoff(row: typeof handoffs.$inferSelect): Handoff {
  return {
    id: row.id,
    shopId: row.shopId,
    conversationId: row.conversationId,
    status: row.status as HandoffStatus,
    reason: row.reason,
    tier: row.tier,
    assignedTo: row.assignedTo,
    createdAt: row.createdAt.toISOString(),
  };
}
