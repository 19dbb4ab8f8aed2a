import { draftText, isHandoff } from '../collection';
import { button, el, syncList } from '../dom';
import type { I18n } from '../i18n';
import { type Api, MAX_REPLY_CHARS, type ViewSource, type WorkspaceState } from '../state';
import { ApiError, type Draft, type Handoff, type Ticket, shopPath } from '../workspace.api';

/** What the lists ask of the workspace. */
export interface ListsHost {
  api: Api;
  showNotice(text: string, kind?: 'error' | 'info'): void;
  reportError(err: unknown): void;
  /** A handoff changed here (taken): record it and redraw what shows it. */
  onHandoff(handoff: Handoff, fromEvent: boolean): void;
  openConversation(conversationId: string, source: ViewSource): void;
  reloadHandoffs(): Promise<void>;
  reloadDrafts(): Promise<void>;
  reloadTickets(): Promise<void>;
  /** Redraw the open conversation's banner and reply box (after its ticket closed). */
  renderControls(): void;
}

interface Panel {
  panel: HTMLElement;
  head: HTMLElement;
  list: HTMLElement;
  empty: HTMLElement;
  count: HTMLElement;
}

function panel(i18n: I18n, titleKey: string, testId: string, emptyKey: string): Panel {
  const panel = el('section', 'panel', { 'data-testid': testId });
  const head = el('div', 'panel-head');
  const count = el('span', 'count', {}, '0');
  head.append(el('h2', undefined, {}, i18n.t(titleKey)), count);
  const list = el('ul', 'items');
  const empty = el('p', 'empty', {}, i18n.t(emptyKey));
  panel.append(head, empty, list);
  return { panel, head, list, empty, count };
}

function setCount(node: HTMLElement, n: number, hot = false): void {
  node.textContent = String(n);
  node.classList.toggle('hot', hot && n > 0);
}

/**
 * The left column: the handoff queue, the agent's own conversations, the bot's drafts waiting for
 * review, and the messages left while nobody was online; with what the agent does to them.
 */
export class Lists {
  readonly element: HTMLElement;
  private readonly queue: Panel;
  private readonly mine: Panel;
  private readonly drafts: Panel;
  private readonly tickets: Panel;
  private readonly takeNextButton: HTMLButtonElement;

  constructor(
    private readonly i18n: I18n,
    private readonly state: WorkspaceState,
    private readonly host: ListsHost,
  ) {
    this.element = el('aside', 'col col-left');
    this.queue = panel(i18n, 'panel.queue', 'ws-queue', 'queue.empty');
    this.takeNextButton = button(i18n.t('queue.takeNext'), 'ws-take-next', 'primary');
    this.takeNextButton.addEventListener('click', () => void this.takeNext());
    this.queue.head.append(this.takeNextButton);
    this.mine = panel(i18n, 'panel.mine', 'ws-mine', 'mine.empty');
    this.drafts = panel(i18n, 'panel.drafts', 'ws-drafts', 'drafts.empty');
    this.tickets = panel(i18n, 'panel.tickets', 'ws-tickets', 'tickets.empty');
    this.element.append(this.queue.panel, this.mine.panel, this.drafts.panel, this.tickets.panel);
  }

  render(): void {
    this.renderQueue();
    this.renderMine();
    this.renderDrafts();
    this.renderTickets();
  }

  renderQueue(): void {
    const { i18n } = this;
    const items = this.state.queueItems();
    setCount(this.queue.count, items.length, true);
    this.queue.empty.hidden = items.length > 0;
    this.takeNextButton.disabled = !this.state.me;
    document.title = (items.length ? `(${items.length}) ` : '') + i18n.t('title');
    syncList(
      this.queue.list,
      items,
      (h) => h.id,
      (h) => {
        const li = el('li', 'item', { 'data-testid': 'ws-queue-item', 'data-handoff-id': h.id });
        const top = el('div', 'item-row');
        const reason = el('span', 'tag reason', { 'data-field': 'reason' });
        const tier = el('span', 'tag tier', { 'data-field': 'tier' });
        const locale = el('span', 'tag', { 'data-field': 'locale' });
        top.append(reason, tier, locale);
        const info = el('div', 'item-row');
        info.append(
          el('span', 'item-title', { 'data-field': 'user' }),
          el('span', undefined, { 'data-field': 'wait' }),
          el('span', undefined, { 'data-field': 'position' }),
        );
        const note = el('div', 'item-row', { 'data-field': 'note' });
        const actions = el('div', 'item-actions');
        const take = button(i18n.t('queue.take'), 'ws-take', 'primary');
        take.addEventListener('click', () => {
          const id = li.dataset.handoffId;
          if (id) void this.take(id, take);
        });
        actions.append(take);
        li.append(top, info, note, actions);
        return li;
      },
      (li, h) => {
        const field = (name: string) => li.querySelector<HTMLElement>(`[data-field="${name}"]`);
        field('reason')!.textContent = i18n.label('reason', h.reason);
        field('tier')!.textContent = i18n.label('tier', h.tier);
        field('locale')!.textContent = h.locale;
        field('user')!.textContent = h.userId;
        field('wait')!.textContent = i18n.t('queue.waiting', { time: i18n.duration(h.createdAt) });
        const position = field('position')!;
        position.textContent = h.position !== undefined ? i18n.t('queue.position', { n: h.position }) : '';
        const last = h.status === 'transferred' ? h.notes[h.notes.length - 1] : undefined;
        const note = field('note')!;
        note.hidden = !last;
        note.textContent = last
          ? i18n.t('queue.transferred', {
              from: i18n.label('tier', last.fromTier),
              to: i18n.label('tier', last.toTier),
              note: last.note,
            })
          : '';
      },
    );
  }

  renderMine(): void {
    const { i18n, state } = this;
    const items = state.mineItems();
    const max = state.me?.maxConcurrent;
    this.mine.count.textContent = max
      ? i18n.t('mine.capacity', { n: items.length, max })
      : String(items.length);
    this.mine.empty.hidden = items.length > 0;
    syncList(
      this.mine.list,
      items,
      (h) => h.conversationId,
      (h) => {
        const li = el('li', 'item', {
          'data-testid': 'ws-mine-item',
          'data-conversation-id': h.conversationId,
        });
        const open = el('button', 'mine-open', { type: 'button' });
        const top = el('span', 'item-row');
        top.append(
          el('span', 'item-title', { 'data-field': 'user' }),
          el('span', 'tag reason', { 'data-field': 'reason' }),
          el('span', 'tag unread', { 'data-field': 'unread' }),
        );
        open.append(top, el('span', 'preview', { 'data-field': 'preview' }));
        open.addEventListener('click', () => {
          const id = li.dataset.conversationId;
          if (id) this.host.openConversation(id, 'handoff');
        });
        li.append(open);
        return li;
      },
      (li, h) => {
        const field = (name: string) => li.querySelector<HTMLElement>(`[data-field="${name}"]`)!;
        field('user').textContent = h.userId;
        field('reason').textContent = i18n.label('reason', h.reason);
        const unread = state.unread.get(h.conversationId) ?? 0;
        field('unread').hidden = unread === 0;
        field('unread').textContent = i18n.t('mine.unread', { n: unread });
        field('preview').textContent = state.preview.get(h.conversationId) ?? '';
        li.classList.toggle('active', state.view?.conversationId === h.conversationId);
      },
    );
  }

  renderDrafts(): void {
    const { i18n } = this;
    const items = this.state.pendingDrafts();
    setCount(this.drafts.count, items.length, true);
    this.drafts.empty.hidden = items.length > 0;
    syncList(
      this.drafts.list,
      items,
      (d) => d.id,
      (d) => {
        const li = el('li', 'item', { 'data-testid': 'ws-draft', 'data-draft-id': d.id });
        const meta = el('div', 'item-row');
        meta.append(
          el('span', undefined, {}, i18n.t('drafts.question')),
          el('span', undefined, {}, i18n.clock(d.createdAt)),
        );
        const question = el('div', 'item-title item-text', { 'data-testid': 'ws-draft-question' });
        question.textContent = d.question ?? i18n.t('drafts.noQuestion');
        const original = draftText(d);
        const text = el('textarea', undefined, {
          'data-testid': 'ws-draft-text',
          rows: '3',
          maxlength: String(MAX_REPLY_CHARS),
          'aria-label': i18n.t('drafts.answer'),
          title: i18n.t('drafts.answer'),
        });
        text.value = original;
        const chips = el('div', 'chips');
        for (const r of d.replies)
          for (const q of r.quickReplies ?? []) chips.append(el('span', 'chip', {}, q.title));
        chips.hidden = chips.childElementCount === 0;
        const actions = el('div', 'item-actions');
        const open = button(i18n.t('drafts.open'), 'ws-draft-open');
        open.addEventListener('click', () => this.host.openConversation(d.conversationId, 'draft'));
        const discard = button(i18n.t('drafts.discard'), 'ws-draft-discard', 'danger');
        const approve = button(i18n.t('drafts.approve'), 'ws-draft-approve', 'primary');
        discard.addEventListener('click', () => void this.decideDraft(d.id, 'discard', li));
        approve.addEventListener('click', () => void this.decideDraft(d.id, 'approve', li));
        actions.append(open, discard, approve);
        li.append(meta, question, text, chips, actions);
        return li;
      },
      () => undefined, // a draft's text belongs to the agent once shown
    );
  }

  renderTickets(): void {
    const { i18n } = this;
    const items = this.state.openTickets();
    setCount(this.tickets.count, items.length, true);
    this.tickets.empty.hidden = items.length > 0;
    syncList(
      this.tickets.list,
      items,
      (t) => t.id,
      (t) => {
        const li = el('li', 'item', { 'data-testid': 'ws-ticket', 'data-ticket-id': t.id });
        const meta = el('div', 'item-row');
        meta.append(
          el('span', 'item-title', {}, t.userId),
          el('span', 'tag reason', {}, i18n.label('reason', t.reason)),
          el('span', undefined, {}, i18n.clock(t.createdAt)),
        );
        const message = el('div', 'item-text', { 'data-testid': 'ws-ticket-message' });
        message.textContent = t.message ?? i18n.t('tickets.noMessage');
        const actions = el('div', 'item-actions');
        const open = button(i18n.t('tickets.open'), 'ws-ticket-open', 'primary');
        open.addEventListener('click', () => this.host.openConversation(t.conversationId, 'ticket'));
        const close = button(i18n.t('tickets.close'), 'ws-ticket-close');
        close.addEventListener('click', () => void this.closeTicket(t.id, close));
        actions.append(open, close);
        li.append(meta, message, actions);
        return li;
      },
      () => undefined,
    );
  }

  // ---- list actions --------------------------------------------------------------------------------

  private async take(handoffId: string, trigger: HTMLButtonElement): Promise<void> {
    const { host } = this;
    const me = this.state.me;
    if (!me) return;
    trigger.disabled = true;
    try {
      const res = await host.api<Handoff>('POST', shopPath(me.shopId, 'handoffs', handoffId, 'assign'), {
        agentId: me.id,
      });
      const taken = isHandoff(res.body) ? res.body : this.state.handoffs.items.get(handoffId);
      if (isHandoff(res.body)) host.onHandoff(res.body, true);
      if (taken) host.openConversation(taken.conversationId, 'handoff');
    } catch (err) {
      host.reportError(err);
      if (err instanceof ApiError && err.status === 409) void host.reloadHandoffs();
    } finally {
      trigger.disabled = false;
    }
  }

  private async takeNext(): Promise<void> {
    const { host } = this;
    const me = this.state.me;
    if (!me) return;
    this.takeNextButton.disabled = true;
    try {
      const res = await host.api<Handoff>('POST', shopPath(me.shopId, 'handoffs', 'next'), {
        agentId: me.id,
      });
      if (res.status === 204 || !isHandoff(res.body)) {
        host.showNotice(this.i18n.t('queue.nothingWaiting'), 'info');
        void host.reloadHandoffs();
        return;
      }
      host.onHandoff(res.body, true);
      host.openConversation(res.body.conversationId, 'handoff');
    } catch (err) {
      host.reportError(err);
      if (err instanceof ApiError && err.status === 409) void host.reloadHandoffs();
    } finally {
      this.takeNextButton.disabled = !this.state.me;
    }
  }

  private async decideDraft(
    draftId: string,
    decision: 'approve' | 'discard',
    li: HTMLElement,
  ): Promise<void> {
    const { host } = this;
    const me = this.state.me;
    const draft = this.state.drafts.items.get(draftId);
    if (!me || !draft) return;
    const body: { agentId: string; text?: string } = { agentId: me.id };
    if (decision === 'approve') {
      const edited = li.querySelector<HTMLTextAreaElement>('[data-testid="ws-draft-text"]')?.value ?? '';
      if (!edited.trim()) {
        host.showNotice(this.i18n.t('drafts.emptyText'));
        return;
      }
      if (edited.trim() !== draftText(draft).trim()) body.text = edited.trim();
    }
    const buttons = li.querySelectorAll('button');
    buttons.forEach((b) => (b.disabled = true));
    try {
      const res = await host.api<Draft>('POST', shopPath(me.shopId, 'drafts', draftId, decision), body);
      const done = res.body && typeof res.body.id === 'string' ? res.body : undefined;
      this.state.drafts.upsert(
        done ?? { ...draft, status: decision === 'approve' ? 'sent' : 'discarded' },
        true,
      );
      this.renderDrafts();
      host.showNotice(this.i18n.t(decision === 'approve' ? 'drafts.sent' : 'drafts.discarded'), 'info');
    } catch (err) {
      host.reportError(err);
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) void host.reloadDrafts();
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  private async closeTicket(ticketId: string, trigger: HTMLButtonElement): Promise<void> {
    const { host } = this;
    const me = this.state.me;
    const ticket = this.state.tickets.items.get(ticketId);
    if (!me || !ticket) return;
    trigger.disabled = true;
    try {
      const res = await host.api<Ticket>('POST', shopPath(me.shopId, 'tickets', ticketId, 'close'), {
        agentId: me.id,
      });
      const closed = res.body && typeof res.body.id === 'string' ? res.body : undefined;
      this.state.tickets.upsert(closed ?? { ...ticket, status: 'closed' }, true);
      this.renderTickets();
      // The ticket was the only reason to reply: its open conversation becomes read-only.
      const view = this.state.view;
      if (view?.source === 'ticket' && view.conversationId === ticket.conversationId) {
        view.doneNote = this.i18n.t('tickets.closed');
        host.renderControls();
      }
      host.showNotice(this.i18n.t('tickets.closed'), 'info');
    } catch (err) {
      host.reportError(err);
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) void host.reloadTickets();
    } finally {
      trigger.disabled = false;
    }
  }
}
