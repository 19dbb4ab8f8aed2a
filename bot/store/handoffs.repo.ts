import { and, asc, count, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from './db';
import { handoffs } from './schema';
import { newId } from '../ids';
import { errors } from '../errors';
import {
  type HandoffEvent,
  type HandoffStatus,
  OPEN,
  QUEUED,
  nextStatus,
  sourcesOf,
} from '../handoff/state-machine';

export type { HandoffStatus } from '../handoff/state-machine';
export type AgentTier = 'L1' | 'L2' | 'expert';

export interface HandoffNote {
  at: string;
  agentId: string | null;
  fromTier: string;
  toTier: string;
  note: string;
}

export interface Handoff {
  id: string;
  shopId: string;
  conversationId: string;
  userId: string;
  status: HandoffStatus;
  reason: string;
  tier: AgentTier;
  locale: string;
  assignedTo: string | null;
  notes: HandoffNote[];
  queuedAt: string;
  assignedAt: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface HandoffRequest {
  shopId: string;
  conversationId: string;
  userId: string;
  reason: string;
  tier?: AgentTier;
  locale: string;
  now?: Date;
}

export class HandoffsRepo {
  constructor(private readonly db: Db) {}

  async get(shopId: string, id: string): Promise<Handoff | undefined> {
    const [row] = await this.db
      .select()
      .from(handoffs)
      .where(and(eq(handoffs.shopId, shopId), eq(handoffs.id, id)));
    return row && toHandoff(row);
  }

  /** The conversation's open handoff (pending, assigned or transferred), if any. */
  async findOpen(shopId: string, conversationId: string): Promise<Handoff | undefined> {
    const [row] = await this.db
      .select()
      .from(handoffs)
      .where(
        and(
          eq(handoffs.shopId, shopId),
          eq(handoffs.conversationId, conversationId),
          inArray(handoffs.status, [...OPEN]),
        ),
      );
    return row && toHandoff(row);
  }

  /** The conversation's most recent handoff, open or not. */
  async latestFor(shopId: string, conversationId: string): Promise<Handoff | undefined> {
    const [row] = await this.db
      .select()
      .from(handoffs)
      .where(and(eq(handoffs.shopId, shopId), eq(handoffs.conversationId, conversationId)))
      .orderBy(desc(handoffs.createdAt))
      .limit(1);
    return row && toHandoff(row);
  }

  /**
   * none → pending. An open request is reused, never duplicated: the partial unique index admits
   * one open handoff per conversation, so two turns (or processes) asking at once get the same one.
   */
  async request(input: HandoffRequest): Promise<{ handoff: Handoff; created: boolean }> {
    const now = input.now ?? new Date();
    for (let attempt = 0; attempt < 3; attempt++) {
      const open = await this.findOpen(input.shopId, input.conversationId);
      if (open) return { handoff: open, created: false };
      const [row] = await this.db
        .insert(handoffs)
        .values({
          id: newId('h'),
          shopId: input.shopId,
          conversationId: input.conversationId,
          userId: input.userId,
          status: nextStatus('none', 'request'),
          reason: input.reason,
          tier: input.tier ?? 'L1',
          locale: input.locale,
          queuedAt: now,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing()
        .returning();
      if (row) return { handoff: toHandoff(row), created: true };
    }
    throw errors.unavailable('Could not record the handoff; try again.');
  }

  /**
   * Moves a handoff along the state machine in one conditional UPDATE: of two agents assigning at
   * once (in one process or many), exactly one matches the WHERE. The loser learns why.
   */
  async transition(
    shopId: string,
    id: string,
    event: HandoffEvent,
    patch: {
      assignedTo?: string | null;
      tier?: AgentTier;
      note?: HandoffNote;
      now?: Date;
      /** Only when it is still assigned to this agent (an agent resolving or transferring their own). */
      expectAssignee?: string;
    } = {},
  ): Promise<Handoff> {
    const now = patch.now ?? new Date();
    const to = nextStatus(sourcesOf(event)[0]!, event);
    const conditions = [
      eq(handoffs.shopId, shopId),
      eq(handoffs.id, id),
      inArray(handoffs.status, sourcesOf(event)),
    ];
    if (patch.expectAssignee) conditions.push(eq(handoffs.assignedTo, patch.expectAssignee));
    const [row] = await this.db
      .update(handoffs)
      .set({
        status: to,
        updatedAt: now,
        ...(patch.assignedTo !== undefined ? { assignedTo: patch.assignedTo } : {}),
        ...(patch.tier ? { tier: patch.tier } : {}),
        ...(patch.note ? { notes: sql`${handoffs.notes} || ${JSON.stringify([patch.note])}::jsonb` } : {}),
        ...(to === 'assigned' ? { assignedAt: now } : {}),
        ...(to === 'transferred' ? { queuedAt: now, assignedAt: null } : {}),
        ...(to === 'resolved' || to === 'expired' ? { closedAt: now } : {}),
      })
      .where(and(...conditions))
      .returning();
    if (row) return toHandoff(row);

    const current = await this.get(shopId, id);
    if (!current) throw errors.notFound('Handoff');
    if (event === 'assign' && current.status === 'assigned') {
      throw errors.conflict('Another agent has already taken this conversation.', 'HANDOFF_TAKEN');
    }
    if (
      patch.expectAssignee &&
      current.assignedTo !== patch.expectAssignee &&
      current.status === 'assigned'
    ) {
      throw errors.conflict('This conversation is assigned to another agent.', 'NOT_ASSIGNED_TO_YOU');
    }
    nextStatus(current.status, event); // throws ILLEGAL_TRANSITION
    throw errors.conflict('The handoff changed meanwhile; try again.');
  }

  async list(
    shopId: string,
    filter: { statuses: readonly HandoffStatus[]; agentId?: string; limit?: number },
  ): Promise<Handoff[]> {
    const rows = await this.db
      .select()
      .from(handoffs)
      .where(
        and(
          eq(handoffs.shopId, shopId),
          inArray(handoffs.status, [...filter.statuses]),
          ...(filter.agentId ? [eq(handoffs.assignedTo, filter.agentId)] : []),
        ),
      )
      .orderBy(
        filter.statuses.every((s) => QUEUED.includes(s)) ? asc(handoffs.queuedAt) : desc(handoffs.updatedAt),
      )
      .limit(filter.limit ?? 200);
    return rows.map(toHandoff);
  }

  /** Everything waiting in the shop's queue, oldest first (routing and positions read it). */
  async queued(shopId: string): Promise<Handoff[]> {
    return this.list(shopId, { statuses: QUEUED, limit: 1000 });
  }

  /**
   * 1 + the handoffs waiting ahead of this one for the same tier and language (oldest first, ids
   * breaking ties): one COUNT, however long the queue.
   */
  async positionOf(h: Pick<Handoff, 'id' | 'shopId' | 'tier' | 'locale' | 'queuedAt'>): Promise<number> {
    const queuedAt = new Date(h.queuedAt);
    const [row] = await this.db
      .select({ n: count() })
      .from(handoffs)
      .where(
        and(
          eq(handoffs.shopId, h.shopId),
          inArray(handoffs.status, [...QUEUED]),
          eq(handoffs.tier, h.tier),
          sql`left(${handoffs.locale}, 2) = ${h.locale.slice(0, 2)}`,
          or(lt(handoffs.queuedAt, queuedAt), and(eq(handoffs.queuedAt, queuedAt), lt(handoffs.id, h.id))),
        ),
      );
    return Number(row?.n ?? 0) + 1;
  }

  /** Conversations an agent is serving now (their load, against `maxConcurrent`). */
  async countAssigned(shopId: string, agentId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(handoffs)
      .where(
        and(eq(handoffs.shopId, shopId), eq(handoffs.status, 'assigned'), eq(handoffs.assignedTo, agentId)),
      );
    return Number(row?.n ?? 0);
  }

  /** Every agent's current load in one query (routing and estimates look at all of them). */
  async assignedCounts(shopId: string): Promise<Map<string, number>> {
    const rows = await this.db
      .select({ agentId: handoffs.assignedTo, n: count() })
      .from(handoffs)
      .where(and(eq(handoffs.shopId, shopId), eq(handoffs.status, 'assigned')))
      .groupBy(handoffs.assignedTo);
    return new Map(rows.flatMap((r) => (r.agentId ? [[r.agentId, Number(r.n)] as const] : [])));
  }

  /** Queued handoffs that waited since before `cutoff` (the sweeper expires them). */
  async staleQueued(cutoff: Date): Promise<Handoff[]> {
    const rows = await this.db
      .select()
      .from(handoffs)
      .where(and(inArray(handoffs.status, [...QUEUED]), lt(handoffs.queuedAt, cutoff)))
      .limit(500);
    return rows.map(toHandoff);
  }

  /** Average minutes from assignment to resolution over the shop's recent handoffs (for the ETA). */
  async averageHandleMinutes(shopId: string): Promise<number | undefined> {
    const recent = this.db
      .select({ closedAt: handoffs.closedAt, assignedAt: handoffs.assignedAt })
      .from(handoffs)
      .where(
        and(
          eq(handoffs.shopId, shopId),
          eq(handoffs.status, 'resolved'),
          sql`${handoffs.assignedAt} is not null`,
        ),
      )
      .orderBy(desc(handoffs.closedAt))
      .limit(50)
      .as('recent');
    const [row] = await this.db
      .select({
        minutes: sql<
          string | null
        >`avg(extract(epoch from (${recent.closedAt} - ${recent.assignedAt})) / 60)`,
      })
      .from(recent);
    const minutes = row?.minutes == null ? NaN : Number(row.minutes);
    return Number.isFinite(minutes) ? minutes : undefined;
  }
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

export function toHandoff(row: typeof handoffs.$inferSelect): Handoff {
  return {
    id: row.id,
    shopId: row.shopId,
    conversationId: row.conversationId,
    userId: row.userId,
    status: row.status as HandoffStatus,
    reason: row.reason,
    tier: row.tier as AgentTier,
    locale: row.locale,
    assignedTo: row.assignedTo,
    notes: (row.notes ?? []) as HandoffNote[],
    queuedAt: row.queuedAt.toISOString(),
    assignedAt: iso(row.assignedAt),
    closedAt: iso(row.closedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
