import { and, asc, eq } from 'drizzle-orm';
import type { Db } from './db';
import { drafts, tickets } from './schema';
import { newId } from '../ids';
import { errors } from '../errors';
import type { Reply } from '../activity';

/** A bot answer waiting for an agent's approval (assist mode). */
export interface Draft {
  id: string;
  shopId: string;
  conversationId: string;
  status: 'pending' | 'sent' | 'discarded';
  /** The customer's message the draft answers. */
  question: string | null;
  replies: Reply[];
  decidedBy: string | null;
  createdAt: string;
}

/** A message left for the agents when nobody could take the conversation. */
export interface Ticket {
  id: string;
  shopId: string;
  conversationId: string;
  userId: string;
  handoffId: string | null;
  reason: string;
  message: string | null;
  status: 'open' | 'closed';
  closedBy: string | null;
  createdAt: string;
}

export class DraftsRepo {
  constructor(private readonly db: Db) {}

  async create(input: {
    shopId: string;
    conversationId: string;
    question: string | null;
    replies: Reply[];
  }): Promise<Draft> {
    const [row] = await this.db
      .insert(drafts)
      .values({ id: newId('d'), ...input })
      .returning();
    return toDraft(row!);
  }

  async get(shopId: string, id: string): Promise<Draft | undefined> {
    const [row] = await this.db
      .select()
      .from(drafts)
      .where(and(eq(drafts.shopId, shopId), eq(drafts.id, id)));
    return row && toDraft(row);
  }

  async list(shopId: string, status: Draft['status'], conversationId?: string): Promise<Draft[]> {
    const rows = await this.db
      .select()
      .from(drafts)
      .where(
        and(
          eq(drafts.shopId, shopId),
          eq(drafts.status, status),
          ...(conversationId ? [eq(drafts.conversationId, conversationId)] : []),
        ),
      )
      .orderBy(asc(drafts.createdAt))
      .limit(200);
    return rows.map(toDraft);
  }

  /** pending → sent | discarded, once: a second approval (a double click, a second agent) is a 409. */
  async decide(
    shopId: string,
    id: string,
    status: 'sent' | 'discarded',
    by: string | null,
    replies?: Reply[],
  ): Promise<Draft> {
    const [row] = await this.db
      .update(drafts)
      .set({ status, decidedBy: by, updatedAt: new Date(), ...(replies ? { replies } : {}) })
      .where(and(eq(drafts.shopId, shopId), eq(drafts.id, id), eq(drafts.status, 'pending')))
      .returning();
    if (row) return toDraft(row);
    const current = await this.get(shopId, id);
    if (!current) throw errors.notFound('Draft');
    throw errors.conflict(`This draft has already been ${current.status}.`, 'DRAFT_DECIDED');
  }
}

export class TicketsRepo {
  constructor(private readonly db: Db) {}

  async create(input: {
    shopId: string;
    conversationId: string;
    userId: string;
    handoffId: string | null;
    reason: string;
  }): Promise<Ticket> {
    const [row] = await this.db
      .insert(tickets)
      .values({ id: newId('tk'), ...input })
      .returning();
    return toTicket(row!);
  }

  async get(shopId: string, id: string): Promise<Ticket | undefined> {
    const [row] = await this.db
      .select()
      .from(tickets)
      .where(and(eq(tickets.shopId, shopId), eq(tickets.id, id)));
    return row && toTicket(row);
  }

  async openFor(shopId: string, conversationId: string): Promise<Ticket | undefined> {
    const [row] = await this.db
      .select()
      .from(tickets)
      .where(
        and(
          eq(tickets.shopId, shopId),
          eq(tickets.conversationId, conversationId),
          eq(tickets.status, 'open'),
        ),
      );
    return row && toTicket(row);
  }

  async list(shopId: string, status: Ticket['status']): Promise<Ticket[]> {
    const rows = await this.db
      .select()
      .from(tickets)
      .where(and(eq(tickets.shopId, shopId), eq(tickets.status, status)))
      .orderBy(asc(tickets.createdAt))
      .limit(500);
    return rows.map(toTicket);
  }

  /** The customer's message; several messages are kept, one per line. */
  async addMessage(shopId: string, id: string, text: string): Promise<Ticket | undefined> {
    const current = await this.get(shopId, id);
    if (!current) return undefined;
    const message = current.message ? `${current.message}\n${text}` : text;
    const [row] = await this.db
      .update(tickets)
      .set({ message, updatedAt: new Date() })
      .where(and(eq(tickets.shopId, shopId), eq(tickets.id, id)))
      .returning();
    return row && toTicket(row);
  }

  async close(shopId: string, id: string, by: string | null): Promise<Ticket> {
    const [row] = await this.db
      .update(tickets)
      .set({ status: 'closed', closedBy: by, updatedAt: new Date() })
      .where(and(eq(tickets.shopId, shopId), eq(tickets.id, id), eq(tickets.status, 'open')))
      .returning();
    if (row) return toTicket(row);
    if (!(await this.get(shopId, id))) throw errors.notFound('Ticket');
    throw errors.conflict('This ticket is already closed.', 'TICKET_CLOSED');
  }
}

function toDraft(row: typeof drafts.$inferSelect): Draft {
  return {
    id: row.id,
    shopId: row.shopId,
    conversationId: row.conversationId,
    status: row.status,
    question: row.question,
    replies: row.replies as Reply[],
    decidedBy: row.decidedBy,
    createdAt: row.createdAt.toISOString(),
  };
}

function toTicket(row: typeof tickets.$inferSelect): Ticket {
  return {
    id: row.id,
    shopId: row.shopId,
    conversationId: row.conversationId,
    userId: row.userId,
    handoffId: row.handoffId,
    reason: row.reason,
    message: row.message,
    status: row.status,
    closedBy: row.closedBy,
    createdAt: row.createdAt.toISOString(),
  };
}
