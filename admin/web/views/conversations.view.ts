import { type ConversationSummary, type Transcript, type TranscriptMessage, shopPath } from '../admin.api';
import { button, el, input, select } from '../dom';
import type { AdminContext, View } from '../state';

const PAGE = 30;
const CHANNELS = ['web', 'app', 'voice', 'mqtt', 'speaker', 'agents', 'console'];

/** Conversations: filter, page through, and read one transcript with what the bot understood. */
export class ConversationsView implements View {
  readonly element: HTMLElement;
  private readonly channel: HTMLSelectElement;
  private readonly from: HTMLInputElement;
  private readonly to: HTMLInputElement;
  private readonly handoff: HTMLSelectElement;
  private readonly unresolved: HTMLInputElement;
  private readonly q: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly detail: HTMLElement;
  private cursor?: string;
  private seq = 0;

  constructor(private readonly ctx: AdminContext) {
    const { i18n } = ctx;
    this.element = el('div', 'view conversations', { 'data-testid': 'view-conversations' });
    const head = el('div', 'view-head');
    head.append(el('h1', undefined, {}, i18n.t('nav.conversations')));

    const filters = el('form', 'toolbar wrap', { role: 'search' });
    this.channel = select('conv-channel', [
      { value: '', label: i18n.t('conv.all-channels') },
      ...CHANNELS.map((c) => ({ value: c, label: i18n.label('channel', c) })),
    ]);
    this.from = input('conv-from', { type: 'date', 'aria-label': i18n.t('common.from') });
    this.to = input('conv-to', { type: 'date', 'aria-label': i18n.t('common.to') });
    this.handoff = select('conv-handoff', [
      { value: '', label: i18n.t('conv.handoff-any') },
      { value: 'yes', label: i18n.t('conv.handoff-yes') },
      { value: 'no', label: i18n.t('conv.handoff-no') },
    ]);
    this.unresolved = el('input', undefined, { type: 'checkbox', 'data-testid': 'conv-unresolved' });
    const unresolvedLabel = el('label', 'check');
    unresolvedLabel.append(this.unresolved, ` ${i18n.t('conv.unresolved')}`);
    this.q = input('conv-q', {
      type: 'search',
      placeholder: i18n.t('conv.search'),
      'aria-label': i18n.t('conv.search'),
    });
    const go = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'conv-search' },
      i18n.t('common.search'),
    );
    filters.append(this.channel, this.from, this.to, this.handoff, unresolvedLabel, this.q, go);
    filters.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.load(false);
    });

    this.status = el('div', 'status', { role: 'status', 'data-testid': 'conv-status' });
    this.list = el('ul', 'conv-list', { 'data-testid': 'conv-list' });
    this.more = button(i18n.t('conv.more'), 'conv-more');
    this.more.hidden = true;
    this.more.addEventListener('click', () => void this.load(true));
    const left = el('section', 'panel');
    left.append(filters, this.status, this.list, this.more);
    this.detail = el('section', 'panel transcript-pane', { 'data-testid': 'conv-detail' });
    this.detail.append(el('p', 'muted', {}, i18n.t('conv.pick')));
    const cols = el('div', 'two-cols');
    cols.append(left, this.detail);
    this.element.append(head, cols);
    void this.load(false);
  }

  private async load(append: boolean): Promise<void> {
    const { i18n } = this.ctx;
    const seq = ++this.seq;
    if (!append) this.cursor = undefined;
    if (this.from.value && this.to.value && this.from.value > this.to.value) {
      this.status.textContent = i18n.t('error.range');
      this.status.classList.add('bad');
      return;
    }
    this.status.textContent = i18n.t('common.loading');
    this.status.classList.remove('bad');
    const dayStart = (d: string) => (d ? new Date(`${d}T00:00:00`).toISOString() : undefined);
    const dayEnd = (d: string) => (d ? new Date(`${d}T23:59:59.999`).toISOString() : undefined);
    try {
      const res = await this.ctx.api.get<{ conversations: ConversationSummary[]; nextCursor?: string }>(
        shopPath(this.ctx.user.shopId, ['conversations'], {
          channel: this.channel.value,
          from: dayStart(this.from.value),
          to: dayEnd(this.to.value),
          handoff: this.handoff.value,
          unresolved: this.unresolved.checked ? 'true' : undefined,
          q: this.q.value.trim(),
          limit: PAGE,
          before: append ? this.cursor : undefined,
        }),
      );
      if (seq !== this.seq) return;
      const items = res.conversations.map((c) => this.item(c));
      if (append) this.list.append(...items);
      else this.list.replaceChildren(...items);
      this.cursor = res.nextCursor;
      this.more.hidden = !res.nextCursor;
      this.status.textContent = this.list.children.length ? '' : i18n.t('conv.empty');
    } catch (err) {
      if (seq !== this.seq) return;
      this.status.textContent = i18n.errorText(err);
      this.status.classList.add('bad');
    }
  }

  private item(c: ConversationSummary): HTMLElement {
    const { i18n } = this.ctx;
    const li = el('li');
    const open = el('button', 'conv-item', { type: 'button', 'data-testid': 'conv-item', 'data-id': c.id });
    const meta = el('div', 'item-row');
    meta.append(
      el('span', 'tag', {}, i18n.label('channel', c.channel)),
      el('span', undefined, {}, c.userId),
      el('span', 'spacer'),
      el('span', 'muted', {}, i18n.dateTime(c.lastActivityAt)),
    );
    const tags = el('div', 'item-row');
    tags.append(el('span', 'muted', {}, i18n.t('conv.messages', { n: c.messageCount })));
    if (c.handoff)
      tags.append(
        el(
          'span',
          'tag warn',
          {},
          i18n.t('conv.handoff', { status: i18n.label('handoff', c.handoff.status) }),
        ),
      );
    if (c.unresolvedTurns > 0)
      tags.append(el('span', 'tag bad', {}, i18n.t('conv.unresolved-n', { n: c.unresolvedTurns })));
    open.append(meta, el('div', 'preview', {}, c.firstText ?? ''), tags);
    open.addEventListener('click', () => {
      for (const b of Array.from(this.list.querySelectorAll('.conv-item')))
        b.classList.toggle('active', b === open);
      void this.open(c.id);
    });
    li.append(open);
    return li;
  }

  private async open(id: string): Promise<void> {
    const { i18n } = this.ctx;
    this.detail.replaceChildren(el('p', 'muted', {}, i18n.t('common.loading')));
    try {
      const t = await this.ctx.api.get<Transcript>(shopPath(this.ctx.user.shopId, ['conversations', id]));
      this.renderTranscript(t);
      this.detail.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      this.detail.replaceChildren(el('p', 'status bad', {}, i18n.errorText(err)));
    }
  }

  private renderTranscript(t: Transcript): void {
    const { i18n } = this.ctx;
    const c = t.conversation;
    const head = el('div', 'panel-head');
    head.append(el('h2', undefined, {}, i18n.t('conv.transcript')));
    const facts = el('div', 'item-row');
    facts.append(
      el('span', 'tag', {}, i18n.label('channel', c.channel)),
      el('span', undefined, {}, c.userId),
      el('span', 'muted', {}, c.verified ? i18n.t('conv.verified') : i18n.t('conv.anonymous')),
      el('span', 'muted', {}, i18n.label('status', c.status)),
      el('span', 'muted', {}, i18n.dateTime(c.createdAt)),
    );
    const list = el('ol', 'transcript', { 'data-testid': 'conv-transcript' });
    for (const m of t.messages) list.append(this.message(m));
    const handoffs = el('div', 'handoffs');
    if (t.handoffs.length) {
      handoffs.append(el('h3', undefined, {}, i18n.t('conv.handoffs')));
      const ul = el('ul');
      for (const h of t.handoffs) {
        ul.append(
          el(
            'li',
            undefined,
            { 'data-testid': 'conv-handoff-record' },
            `${i18n.dateTime(h.createdAt)} · ${i18n.label('handoff', h.status)} · ${i18n.label('reason', h.reason)} · ${h.tier}` +
              (h.assignedTo ? ` · ${h.assignedTo}` : ''),
          ),
        );
      }
      handoffs.append(ul);
    }
    this.detail.replaceChildren(head, facts, list, handoffs);
  }

  private message(m: TranscriptMessage): HTMLElement {
    const { i18n } = this.ctx;
    const li = el('li', 'msg', { 'data-role': m.role, 'data-testid': 'conv-message' });
    li.append(el('div', 'msg-meta', {}, `${i18n.t(`role.msg.${m.role}`)} · ${i18n.dateTime(m.createdAt)}`));
    li.append(el('div', 'bubble', {}, m.text || m.payload || ''));
    if (m.card) li.append(el('div', 'card', {}, m.card.title));
    if (m.quickReplies?.length) {
      const chips = el('div', 'chips');
      for (const q of m.quickReplies) chips.append(el('span', 'chip', {}, q.title));
      li.append(chips);
    }
    const nlu = m.nlu;
    if (m.role === 'user' && nlu) {
      const parts = [
        `${i18n.t('console.intent')}: ${nlu.intent ?? '—'}`,
        `${i18n.t('console.confidence')}: ${typeof nlu.confidence === 'number' ? nlu.confidence.toFixed(2) : '—'}`,
        `${i18n.t('console.skill')}: ${nlu.route?.skill ?? '—'}`,
      ];
      if (nlu.route?.unresolved) parts.push(i18n.t('console.unresolved'));
      li.append(el('div', 'nlu', { 'data-testid': 'conv-nlu' }, parts.join(' · ')));
    }
    return li;
  }
}
