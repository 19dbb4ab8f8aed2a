import { isHandoff, time } from '../collection';
import { button, el } from '../dom';
import type { I18n } from '../i18n';
import { type Api, MAX_REPLY_CHARS, type ViewMode, type WorkspaceState } from '../state';
import { ApiError, type ChatMessage, type Handoff, type Tier, shopPath } from '../workspace.api';

const TIERS: Tier[] = ['L1', 'L2', 'expert'];

/** What the conversation view asks of the workspace. */
export interface ConversationHost {
  api: Api;
  showNotice(text: string, kind?: 'error' | 'info'): void;
  reportError(err: unknown): void;
  closeView(): void;
  renderLists(): void;
  /** Redraws what the agent may do in the open conversation, in every column. */
  renderControls(): void;
  reloadHandoffs(): Promise<void>;
}

/**
 * The middle column: the open conversation's header, transcript and reply box, and the transfer
 * and resolve controls; or a placeholder when none is open.
 */
export class ConversationView {
  readonly element: HTMLElement;
  private readonly placeholder: HTMLElement;
  private readonly conversation: HTMLElement;
  private readonly convTitle: HTMLElement;
  private readonly convMeta: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly transcript: HTMLElement;
  private readonly reply: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly actions: HTMLElement;
  private readonly transferTier: HTMLSelectElement;
  private readonly transferNote: HTMLInputElement;
  private readonly transferButton: HTMLButtonElement;
  private readonly resolveBotButton: HTMLButtonElement;
  private readonly resolveCloseButton: HTMLButtonElement;
  private sending = false;

  constructor(
    private readonly i18n: I18n,
    private readonly state: WorkspaceState,
    private readonly host: ConversationHost,
  ) {
    this.element = el('main', 'col col-middle');
    this.placeholder = el('p', 'placeholder', { 'data-testid': 'ws-placeholder' }, i18n.t('view.empty'));
    this.conversation = el('section', 'conversation', { 'data-testid': 'ws-conversation', hidden: '' });

    const head = el('div', 'conv-head');
    this.convTitle = el('h2', undefined, { 'data-testid': 'ws-customer' });
    this.convMeta = el('span', 'conv-meta');
    const close = el('button', 'close-view', {
      type: 'button',
      'data-testid': 'ws-close-view',
      'aria-label': i18n.t('view.close'),
      title: i18n.t('view.close'),
    });
    close.textContent = '×';
    close.addEventListener('click', () => host.closeView());
    head.append(this.convTitle, this.convMeta, close);

    this.banner = el('div', 'banner', { 'data-testid': 'ws-view-banner', role: 'status', hidden: '' });
    this.transcript = el('ol', 'transcript', {
      'data-testid': 'ws-transcript',
      role: 'log',
      'aria-live': 'polite',
    });

    const composer = el('form', 'composer');
    this.reply = el('textarea', undefined, {
      'data-testid': 'ws-reply',
      rows: '3',
      maxlength: String(MAX_REPLY_CHARS),
      placeholder: i18n.t('reply.placeholder'),
      'aria-label': i18n.t('reply.label'),
    });
    this.sendButton = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'ws-send' },
      i18n.t('reply.send'),
    );
    composer.append(this.reply, this.sendButton);
    composer.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.sendReply();
    });
    this.reply.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a new line, and Enter that confirms an IME candidate (拼音) does neither.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        void this.sendReply();
      }
    });

    this.actions = el('div', 'actions');
    this.transferTier = el('select', undefined, {
      'data-testid': 'ws-transfer-tier',
      'aria-label': i18n.t('transfer.tier'),
    });
    for (const tier of TIERS) {
      this.transferTier.append(el('option', undefined, { value: tier }, i18n.label('tier', tier)));
    }
    this.transferNote = el('input', undefined, {
      type: 'text',
      maxlength: '500',
      'data-testid': 'ws-transfer-note',
      placeholder: i18n.t('transfer.note'),
      'aria-label': i18n.t('transfer.note'),
    });
    this.transferButton = button(i18n.t('transfer.submit'), 'ws-transfer');
    this.transferButton.addEventListener('click', () => void this.transfer());
    this.resolveBotButton = button(i18n.t('resolve.bot'), 'ws-resolve-bot');
    this.resolveBotButton.addEventListener('click', () => void this.resolve(true));
    this.resolveCloseButton = button(i18n.t('resolve.close'), 'ws-resolve-close', 'danger');
    this.resolveCloseButton.addEventListener('click', () => void this.resolve(false));
    this.actions.append(
      el('span', undefined, {}, i18n.t('transfer.tier')),
      this.transferTier,
      this.transferNote,
      this.transferButton,
      this.resolveBotButton,
      this.resolveCloseButton,
    );

    this.conversation.append(head, this.banner, this.transcript, composer, this.actions);
    this.element.append(this.placeholder, this.conversation);
  }

  /** A conversation was opened: nothing typed for another one carries over. */
  clearInputs(): void {
    this.reply.value = '';
    this.transferNote.value = '';
  }

  clearReply(): void {
    this.reply.value = '';
  }

  /** The header and transcript of the open conversation, or the placeholder when none is. */
  render(): void {
    const { i18n } = this;
    const view = this.state.view;
    this.placeholder.hidden = !!view;
    this.conversation.hidden = !view;
    if (!view) {
      this.transcript.replaceChildren();
      return;
    }
    const ctx = view.context;
    const conv = ctx?.conversation;
    this.convTitle.textContent = ctx?.profile?.name
      ? `${ctx.profile.name} (${conv?.userId ?? ''})`
      : (conv?.userId ?? view.conversationId);
    this.convMeta.textContent = conv
      ? [
          conv.channel,
          conv.locale,
          i18n.t(conv.verified ? 'conversation.verified' : 'conversation.unverified'),
        ]
          .filter(Boolean)
          .join(' · ')
      : '';
    this.renderTranscript();
  }

  /** What the agent may do here (reply, transfer, resolve), and the banner saying why not. */
  renderControls(h: Handoff | undefined, mode: ViewMode): void {
    const { i18n } = this;
    const view = this.state.view;
    if (!view) return;
    const canReply = mode === 'active' || mode === 'ticket';
    this.reply.disabled = !canReply;
    this.sendButton.disabled = !canReply || this.sending;
    this.actions.hidden = mode !== 'active';
    for (const b of [this.transferButton, this.resolveBotButton, this.resolveCloseButton])
      b.disabled = mode !== 'active';

    let banner: string | undefined;
    if (view.doneNote) banner = view.doneNote;
    else if (mode === 'ticket') banner = i18n.t('view.ticket');
    else if (mode === 'readonly' && this.state.me) {
      if (!h) banner = i18n.t('view.readonly');
      else if (h.status === 'pending' || h.status === 'transferred') banner = i18n.t('view.pending');
      else if (h.status === 'assigned') banner = i18n.t('view.otherAgent');
      else banner = i18n.t('view.ended');
    }
    this.banner.hidden = !banner;
    this.banner.textContent = banner ?? '';
  }

  private renderTranscript(): void {
    const view = this.state.view;
    if (!view) return;
    const messages = Array.from(view.messages.values()).sort((a, b) => time(a.createdAt) - time(b.createdAt));
    this.transcript.replaceChildren(...messages.map((m) => this.messageElement(m)));
    if (messages.length === 0 && view.context) {
      this.transcript.append(el('li', 'empty', {}, this.i18n.t('transcript.empty')));
    }
    this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  addMessage(message: ChatMessage): void {
    const view = this.state.view;
    if (!view || view.messages.has(message.id)) return;
    view.messages.set(message.id, message);
    const atEnd =
      this.transcript.scrollHeight - this.transcript.scrollTop - this.transcript.clientHeight < 40;
    this.transcript.querySelector(':scope > .empty')?.remove();
    const node = this.messageElement(message);
    // Usually the newest; a late one goes in its place by time.
    let before: Element | null = null;
    for (let n = this.transcript.lastElementChild; n; n = n.previousElementSibling) {
      const at = (n as HTMLElement).dataset.time;
      if (at === undefined || Number(at) <= time(message.createdAt)) break;
      before = n;
    }
    this.transcript.insertBefore(node, before);
    if (atEnd || message.role === 'agent') this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  private messageElement(m: ChatMessage): HTMLElement {
    const li = el('li', 'msg', {
      'data-testid': 'ws-transcript-message',
      'data-role': m.role,
      'data-id': m.id,
      'data-time': String(time(m.createdAt)),
    });
    li.append(
      el('div', 'msg-meta', {}, `${this.i18n.label('role', m.role)} · ${this.i18n.clock(m.createdAt)}`),
    );
    if (m.text) li.append(el('div', 'bubble', {}, m.text));
    if (m.card) {
      const card = el('div', 'card');
      card.append(el('div', 'card-title', {}, m.card.title));
      if (m.card.subtitle) card.append(el('div', undefined, {}, m.card.subtitle));
      if (m.card.fields?.length) {
        const dl = el('dl');
        for (const f of m.card.fields)
          dl.append(el('dt', undefined, {}, f.label), el('dd', undefined, {}, f.value));
        card.append(dl);
      }
      li.append(card);
    }
    const choices = [...(m.quickReplies ?? []), ...(m.card?.buttons ?? [])];
    if (choices.length) {
      const chips = el('div', 'chips');
      for (const c of choices) chips.append(el('span', 'chip', {}, c.title));
      li.append(chips);
    }
    if (m.role === 'user' && m.nlu) {
      li.append(
        el('div', 'nlu', { 'data-testid': 'ws-nlu' }, `${m.nlu.intent} ${m.nlu.confidence.toFixed(2)}`),
      );
    }
    return li;
  }

  /** Puts a suggested reply where the caret is, for the agent to edit before sending. */
  insertReply(text: string): void {
    if (this.reply.disabled) return;
    const start = this.reply.selectionStart ?? this.reply.value.length;
    const end = this.reply.selectionEnd ?? start;
    this.reply.setRangeText(text, start, end, 'end');
    this.reply.focus();
  }

  // ---- conversation actions ------------------------------------------------------------------------

  private async sendReply(): Promise<void> {
    const view = this.state.view;
    const me = this.state.me;
    const text = this.reply.value.trim();
    if (!view || !me || !text || this.sending || this.reply.disabled) return;
    this.sending = true;
    this.sendButton.disabled = true;
    try {
      const res = await this.host.api<{ message?: ChatMessage }>(
        'POST',
        shopPath(me.shopId, 'conversations', view.conversationId, 'agent-messages'),
        { agentId: me.id, text },
      );
      if (this.state.view === view) {
        if (this.reply.value.trim() === text) this.reply.value = '';
        if (res.body?.message?.id) this.addMessage(res.body.message);
      }
    } catch (err) {
      this.host.reportError(err);
    } finally {
      this.sending = false;
      this.host.renderControls();
      this.reply.focus();
    }
  }

  private async transfer(): Promise<void> {
    const tier = this.transferTier.value as Tier;
    const note = this.transferNote.value.trim();
    await this.handoffAction('transfer', { tier, ...(note ? { note } : {}) }, () =>
      this.i18n.t('view.transferredTo', { tier: this.i18n.label('tier', tier) }),
    );
    if (this.state.view?.doneNote) this.transferNote.value = '';
  }

  private async resolve(returnToBot: boolean): Promise<void> {
    await this.handoffAction('resolve', { returnToBot }, () =>
      this.i18n.t(returnToBot ? 'view.returnedToBot' : 'view.closedByYou'),
    );
  }

  private async handoffAction(
    action: 'transfer' | 'resolve',
    body: unknown,
    done: () => string,
  ): Promise<void> {
    const { host, state } = this;
    const view = state.view;
    const me = state.me;
    const h = state.viewHandoff();
    if (!view || !me || !h) return;
    for (const b of [this.transferButton, this.resolveBotButton, this.resolveCloseButton]) b.disabled = true;
    try {
      const res = await host.api<Handoff>('POST', shopPath(me.shopId, 'handoffs', h.id, action), body);
      state.trackHandoff(
        isHandoff(res.body)
          ? res.body
          : { ...h, status: action === 'resolve' ? 'resolved' : 'transferred', assignedTo: null },
        true,
      );
      if (state.view === view) view.doneNote = done();
      else host.showNotice(done(), 'info');
      host.renderLists();
    } catch (err) {
      host.reportError(err);
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) void host.reloadHandoffs();
    } finally {
      host.renderControls();
    }
  }
}
