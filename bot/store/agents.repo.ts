import { and, asc, eq } from 'drizzle-orm';
import type { Db } from './db';
import { agents } from './schema';
import { hashApiKey } from './shops.repo';
import { newId, newSecret } from '../ids';
import type { AgentTier } from './handoffs.repo';

export type AgentStatus = 'online' | 'away' | 'offline';

export interface Agent {
  id: string;
  shopId: string;
  name: string;
  tier: AgentTier;
  languages: string[];
  maxConcurrent: number;
  status: AgentStatus;
  lastSeenAt: string | null;
  createdAt: string;
}

export class AgentsRepo {
  constructor(private readonly db: Db) {}

  /** The token is returned once; only its SHA-256 is stored. */
  async create(
    shopId: string,
    input: { name: string; tier: AgentTier; languages: string[]; maxConcurrent: number },
  ): Promise<{ agent: Agent; token: string }> {
    const token = newSecret('ag');
    const [row] = await this.db
      .insert(agents)
      .values({ id: newId('a'), shopId, ...input, tokenHash: hashApiKey(token) })
      .returning();
    return { agent: toAgent(row!), token };
  }

  async findByToken(token: string): Promise<Agent | undefined> {
    const [row] = await this.db
      .select()
      .from(agents)
      .where(eq(agents.tokenHash, hashApiKey(token)));
    return row && toAgent(row);
  }

  async get(shopId: string, id: string): Promise<Agent | undefined> {
    const [row] = await this.db
      .select()
      .from(agents)
      .where(and(eq(agents.shopId, shopId), eq(agents.id, id)));
    return row && toAgent(row);
  }

  async list(shopId: string): Promise<Agent[]> {
    const rows = await this.db
      .select()
      .from(agents)
      .where(eq(agents.shopId, shopId))
      .orderBy(asc(agents.createdAt));
    return rows.map(toAgent);
  }

  async setStatus(
    shopId: string,
    id: string,
    status: AgentStatus,
    now = new Date(),
  ): Promise<Agent | undefined> {
    const [row] = await this.db
      .update(agents)
      .set({ status, lastSeenAt: now })
      .where(and(eq(agents.shopId, shopId), eq(agents.id, id)))
      .returning();
    return row && toAgent(row);
  }

  /** Removes an agent: their token stops working at once. */
  async delete(shopId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(agents)
      .where(and(eq(agents.shopId, shopId), eq(agents.id, id)))
      .returning({ id: agents.id });
    return rows.length > 0;
  }

  /** Presence: the workspace's stream and every request with the agent's token refresh it. */
  async touch(id: string, now = new Date()): Promise<boolean> {
    const rows = await this.db
      .update(agents)
      .set({ lastSeenAt: now })
      .where(eq(agents.id, id))
      .returning({ id: agents.id });
    return rows.length > 0;
  }
}

function toAgent(row: typeof agents.$inferSelect): Agent {
  return {
    id: row.id,
    shopId: row.shopId,
    name: row.name,
    tier: row.tier as AgentTier,
    languages: row.languages,
    maxConcurrent: row.maxConcurrent,
    status: row.status,
    lastSeenAt: row.lastSeenAt ? row.lastSeenAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
  };
}
