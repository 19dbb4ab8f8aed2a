import { button, el } from '../dom';
import type { I18n } from '../i18n';
import type { Api, ViewMode, WorkspaceState } from '../state';
import { type Handoff, type Suggestion, shopPath } from '../workspace.api';

/** What the side panels ask of the workspace. */
export interface ContextHost {
  api: Api;
  reportError(err: unknown): void;
  /** The agent picked a suggested reply. */
  insertReply(text: string): void;
}

/**
 * The right column, beside the open conversation: its summary, why it was handed off, suggested
 * replies, the customer's profile and recent orders.
 */
export class ContextPanels {
  readonly element: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly reason: HTMLElement;
  private readonly notes: HTMLElement;
  private readonly profile: HTMLElement;
  private readonly orders: HTMLElement;
  private readonly suggestions: HTMLElement;
  private suggestTimer?: number;

  constructor(
    private readonly i18n: I18n,
    private readonly state: WorkspaceState,
    private readonly host: ContextHost,
  ) {
    this.element = el('aside', 'col col-right', { hidden: '' });
    const section = (titleKey: string, body: HTMLElement): HTMLElement => {
      const s = el('section', 'side-section');
      s.append(el('h3', undefined, {}, i18n.t(titleKey)), body);
      return s;
    };
    this.summary = el('p', 'summary', { 'data-testid': 'ws-summary' });
    this.reason = el('p', 'summary', { 'data-testid': 'ws-reason' });
    this.notes = el('ul', 'notes', { 'data-testid': 'ws-notes' });
    const reasonBox = el('div');
    reasonBox.append(this.reason, this.notes);
    this.profile = el('div', undefined, { 'data-testid': 'ws-profile' });
    this.orders = el('ul', 'orders', { 'data-testid': 'ws-orders' });
    this.suggestions = el('ul', 'items', { 'data-testid': 'ws-suggestions' });
    this.element.append(
      section('side.summary', this.summary),
      section('side.reason', reasonBox),
      section('side.suggestions', this.suggestions),
      section('side.profile', this.profile),
      section('side.orders', this.orders),
    );
  }

  /** The open conversation's summary, profile and orders; hidden when none is open. */
  render(): void {
    const view = this.state.view;
    this.element.hidden = !view;
    if (!view) {
      this.suggestions.replaceChildren();
      return;
    }
    this.summary.textContent = view.context ? view.context.summary : this.i18n.t('view.loading');
    this.renderProfile();
    this.renderOrders();
  }

  /** Why the conversation was handed off, with its transfer notes; and whether a suggestion can go in. */
  renderControls(h: Handoff | undefined, mode: ViewMode): void {
    const { i18n } = this;
    const view = this.state.view;
    if (!view) return;
    const reason = view.context?.reason ?? h?.reason ?? null;
    this.reason.textContent = reason ? i18n.label('reason', reason) : '—';
    this.notes.replaceChildren(
      ...(h?.notes ?? []).map((n) =>
        el(
          'li',
          undefined,
          {},
          i18n.t('queue.transferred', {
            from: i18n.label('tier', n.fromTier),
            to: i18n.label('tier', n.toTier),
            note: n.note,
          }),
        ),
      ),
    );
    const canReply = mode === 'active' || mode === 'ticket';
    this.suggestions
      .querySelectorAll<HTMLButtonElement>('[data-testid="ws-suggestion-insert"]')
      .forEach((b) => (b.disabled = !canReply));
  }

  private renderProfile(): void {
    const { i18n } = this;
    const ctx = this.state.view?.context;
    if (!ctx) {
      this.profile.replaceChildren(el('p', 'empty', {}, i18n.t('view.loading')));
      return;
    }
    const p = ctx.profile;
    if (!p) {
      this.profile.replaceChildren(el('p', 'empty', {}, i18n.t('profile.none')));
      return;
    }
    const dl = el('dl', 'facts');
    const row = (key: string, value: HTMLElement | string) => {
      const dd = el('dd');
      if (typeof value === 'string') dd.textContent = value;
      else dd.append(value);
      dl.append(el('dt', undefined, {}, i18n.t(key)), dd);
    };
    row('profile.userId', p.userId);
    if (p.name) row('profile.name', p.name);
    row(
      'profile.status',
      el(
        'span',
        p.verified ? 'ok' : undefined,
        {},
        i18n.t(p.verified ? 'conversation.verified' : 'conversation.unverified'),
      ),
    );
    if (p.tier !== undefined && p.tier !== null) {
      const n = Math.max(0, Math.min(5, Math.round(Number(p.tier))));
      const stars = Number.isNaN(n)
        ? el('span', undefined, {}, String(p.tier))
        : el(
            'span',
            'stars',
            { title: i18n.t('profile.stars', { n }), 'aria-label': i18n.t('profile.stars', { n }) },
            '★'.repeat(n) + '☆'.repeat(5 - n),
          );
      row('profile.tier', stars);
    }
    this.profile.replaceChildren(dl);
  }

  private renderOrders(): void {
    const { i18n } = this;
    const ctx = this.state.view?.context;
    if (!ctx) {
      this.orders.replaceChildren();
      return;
    }
    if (ctx.recentOrders.length === 0) {
      this.orders.replaceChildren(el('li', 'empty', {}, i18n.t('orders.empty')));
      return;
    }
    this.orders.replaceChildren(
      ...ctx.recentOrders.map((o) => {
        const li = el('li', undefined, { 'data-testid': 'ws-order', 'data-order-id': o.id });
        const row = el('div', 'order-row');
        row.append(
          el('span', 'item-title', {}, o.id),
          el('span', 'tag', {}, i18n.label('order', o.status)),
          el('span', 'total', {}, i18n.money(o.total, o.currency)),
        );
        const items = el(
          'div',
          'order-items',
          {},
          o.items.map((i) => i18n.t('orders.items', { name: i.name, quantity: i.quantity })).join('，'),
        );
        li.append(row, items);
        return li;
      }),
    );
  }

  // ---- suggested replies ---------------------------------------------------------------------------

  showSuggestionsLoading(): void {
    this.suggestions.replaceChildren(el('li', 'empty', {}, this.i18n.t('view.loading')));
  }

  reloadSuggestionsSoon(): void {
    window.clearTimeout(this.suggestTimer);
    this.suggestTimer = window.setTimeout(() => void this.loadSuggestions(), 300);
  }

  cancelSuggestions(): void {
    window.clearTimeout(this.suggestTimer);
  }

  async loadSuggestions(): Promise<void> {
    const view = this.state.view;
    const me = this.state.me;
    if (!view || !me) return;
    try {
      const res = await this.host.api<{ suggestions: Suggestion[] }>(
        'GET',
        shopPath(me.shopId, 'conversations', view.conversationId, 'suggestions'),
      );
      if (this.state.view !== view) return;
      this.renderSuggestions(res.body?.suggestions ?? []);
    } catch (err) {
      if (this.state.view === view) this.host.reportError(err);
    }
  }

  private renderSuggestions(list: Suggestion[]): void {
    const { i18n } = this;
    const canReply = this.state.viewMode() !== 'readonly';
    if (list.length === 0) {
      this.suggestions.replaceChildren(el('li', 'empty', {}, i18n.t('suggest.empty')));
      return;
    }
    this.suggestions.replaceChildren(
      ...list.map((s) => {
        const li = el('li', 'suggestion', { 'data-testid': 'ws-suggestion', 'data-source': s.source });
        const row = el('div', 'item-row');
        const badge = el(
          'span',
          `tag ${s.source === 'knowledge' ? 'knowledge' : 'agent-source'}`,
          { 'data-testid': 'ws-suggestion-source' },
          i18n.label('source', s.source),
        );
        const score = el(
          'span',
          undefined,
          {},
          i18n.t('suggest.score', { score: Number(s.score).toFixed(2) }),
        );
        const insert = button(i18n.t('suggest.insert'), 'ws-suggestion-insert');
        insert.disabled = !canReply;
        insert.addEventListener('click', () => this.host.insertReply(s.text));
        row.append(badge, score, insert);
        li.append(el('div', 'item-text', { 'data-testid': 'ws-suggestion-text' }, s.text), row);
        return li;
      }),
    );
  }
}
