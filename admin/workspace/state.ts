import { Collection, time } from './collection';
import type { Agent, ChatMessage, ConversationContext, Draft, Handoff, Ticket } from './workspace.api';

export const MAX_REPLY_CHARS = 2000;

export type ViewSource = 'handoff' | 'ticket' | 'draft';
export type ViewMode = 'active' | 'ticket' | 'readonly';

/** The open conversation. Answers that arrive after another one was opened are dropped. */
export interface View {
  conversationId: string;
  source: ViewSource;
  context?: ConversationContext;
  messages: Map<string, ChatMessage>;
  /** What the agent did here (resolve, transfer): the view stays open read-only with this note. */
  doneNote?: string;
}

/** Calls the API as the signed-in agent; rejects with a 401 ApiError when nobody is signed in. */
export type Api = <T>(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: T | undefined }>;

/** What the workspace knows: the agent, the lists and the open conversation. No DOM here. */
export class WorkspaceState {
  me?: Agent;
  readonly handoffs = new Collection<Handoff>((a, b) => time(a.updatedAt) >= time(b.updatedAt));
  readonly drafts = new Collection<Draft>();
  readonly tickets = new Collection<Ticket>();
  readonly unread = new Map<string, number>();
  readonly preview = new Map<string, string>();
  view?: View;

  /** Forgets everything (sign-out). */
  clear(): void {
    this.me = undefined;
    this.handoffs.clear();
    this.drafts.clear();
    this.tickets.clear();
    this.unread.clear();
    this.preview.clear();
    this.view = undefined;
  }

  /**
   * Records a handoff, and keeps the open view's copy current: the lists drop handoffs that are
   * over, and the view must not fall back to the stale one its context was loaded with.
   */
  trackHandoff(handoff: Handoff, fromEvent: boolean): void {
    this.handoffs.upsert(handoff, fromEvent);
    const ctx = this.view?.conversationId === handoff.conversationId ? this.view.context : undefined;
    if (ctx && (!ctx.handoff || time(handoff.updatedAt) >= time(ctx.handoff.updatedAt)))
      ctx.handoff = handoff;
  }

  queueItems(): Handoff[] {
    return (
      this.handoffs
        .values()
        // Only what this agent may take: their tier or below, in a language they speak (as the server routes).
        .filter((h) => (h.status === 'pending' || h.status === 'transferred') && this.canTake(h))
        .sort(
          (a, b) =>
            (a.position ?? Infinity) - (b.position ?? Infinity) || time(a.createdAt) - time(b.createdAt),
        )
    );
  }

  canTake(h: Handoff): boolean {
    const me = this.me;
    if (!me) return false;
    const rank = (tier: string) => ['L1', 'L2', 'expert'].indexOf(tier);
    const lang = (locale: string) => locale.slice(0, 2).toLowerCase();
    return rank(me.tier) >= rank(h.tier) && me.languages.some((l) => lang(l) === lang(h.locale));
  }

  mineItems(): Handoff[] {
    const me = this.me;
    if (!me) return [];
    return this.handoffs
      .values()
      .filter((h) => h.status === 'assigned' && h.assignedTo === me.id)
      .sort((a, b) => time(a.updatedAt) - time(b.updatedAt));
  }

  pendingDrafts(): Draft[] {
    return this.drafts
      .values()
      .filter((d) => d.status === 'pending')
      .sort((a, b) => time(a.createdAt) - time(b.createdAt));
  }

  openTickets(): Ticket[] {
    return this.tickets
      .values()
      .filter((t) => t.status === 'open')
      .sort((a, b) => time(a.createdAt) - time(b.createdAt));
  }

  /** The handoff of the open conversation: the newest one known for it. */
  viewHandoff(): Handoff | undefined {
    const view = this.view;
    if (!view) return undefined;
    let best: Handoff | undefined = view.context?.handoff ?? undefined;
    for (const h of this.handoffs.values()) {
      if (h.conversationId === view.conversationId && (!best || time(h.updatedAt) >= time(best.updatedAt))) {
        best = h;
      }
    }
    return best;
  }

  viewMode(): ViewMode {
    const view = this.view;
    const h = this.viewHandoff();
    if (!view || !this.me) return 'readonly';
    if (h && h.status === 'assigned' && h.assignedTo === this.me.id && !view.doneNote) return 'active';
    if (view.source === 'ticket' && !view.doneNote) return 'ticket';
    return 'readonly';
  }
}
