import type { Conversation } from './conversations.repo';

/**
 * Each customer's open conversation, remembered by the one process that owns an embedded database
 * (a PGlite data directory cannot be opened by two processes): a customer already chatting then
 * costs a turn no read to find their conversation. Every write to a conversation's status or
 * activity goes through ConversationsRepo, which keeps this copy current. Never used on
 * PostgreSQL, where other instances write too.
 */
export class OpenConversations {
  private readonly byCustomer = new Map<string, Conversation>();
  /** Conversation id → its customer's key. */
  private readonly keys = new Map<string, string>();
  /** Counts forgets: a read that started before one may carry what was just forgotten. */
  private forgets = 0;

  constructor(private readonly max = 10_000) {}

  get(shopId: string, userId: string): Conversation | undefined {
    return this.byCustomer.get(key(shopId, userId));
  }

  /** A mark to pass to `remember` for what a database read returns. */
  mark(): number {
    return this.forgets;
  }

  /**
   * Remembers what a read returned, unless something was forgotten since `mark` (that read may
   * have seen a conversation just ended). Keeps the later activity of two copies.
   */
  remember(conversation: Conversation, mark = this.forgets): void {
    if (mark !== this.forgets || conversation.status !== 'open') return;
    const k = key(conversation.shopId, conversation.userId);
    const known = this.byCustomer.get(k);
    if (known?.id === conversation.id && known.lastActivityAt >= conversation.lastActivityAt) return;
    if (known && known.id !== conversation.id) this.keys.delete(known.id);
    this.byCustomer.delete(k);
    this.byCustomer.set(k, conversation);
    this.keys.set(conversation.id, k);
    if (this.byCustomer.size > this.max) {
      const [oldestKey, oldest] = this.byCustomer.entries().next().value as [string, Conversation];
      this.byCustomer.delete(oldestKey);
      this.keys.delete(oldest.id);
    }
  }

  /** A turn was committed: the conversation's activity (and locale) moved on. */
  touched(conversationId: string, at: Date, locale: string | null): void {
    const k = this.keys.get(conversationId);
    const known = k && this.byCustomer.get(k);
    if (!k || !known) return;
    // Replaced, not changed in place: a caller holding the old copy keeps what it read.
    this.byCustomer.delete(k);
    this.byCustomer.set(k, { ...known, lastActivityAt: at, locale: locale || known.locale });
  }

  forgetCustomer(shopId: string, userId: string): void {
    this.forgets++;
    const k = key(shopId, userId);
    const known = this.byCustomer.get(k);
    if (known) this.keys.delete(known.id);
    this.byCustomer.delete(k);
  }

  forgetConversation(conversationId: string): void {
    this.forgets++;
    const k = this.keys.get(conversationId);
    if (!k) return;
    this.keys.delete(conversationId);
    this.byCustomer.delete(k);
  }

  /** Everything: after a change made behind the repository's back (tests that backdate a row). */
  clear(): void {
    this.forgets++;
    this.byCustomer.clear();
    this.keys.clear();
  }
}

const key = (shopId: string, userId: string) => `${shopId}\u0000${userId}`;
