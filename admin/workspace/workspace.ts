import { type SseEvent, StreamHttpError, readEventStream } from './sse';
import {
  type Agent,
  ApiError,
  type ChatMessage,
  type ConversationContext,
  type Draft,
  type Handoff,
  type Suggestion,
  type Ticket,
  type Tier,
  callApi,
  shopPath,
} from './workspace.api';
import { workspaceStyles } from './workspace.styles';

/**
 * The agent workspace (`/agent`): an agent signs in with their token, takes customers from the
 * handoff queue, reads the conversation with its summary, profile and orders, answers with help
 * from suggested replies, transfers or resolves; reviews the bot's drafts and the messages left
 * while nobody was online. One event stream keeps it live.
 * Every piece of text from the server goes in with textContent, never as HTML.
 */

type Strings = Record<string, string>;
type ConnectionState = 'connecting' | 'connected' | 'reconnecting';
type ViewSource = 'handoff' | 'ticket' | 'draft';
type ViewMode = 'active' | 'ticket' | 'readonly';

/** The open conversation. Answers that arrive after another one was opened are dropped. */
interface View {
  conversationId: string;
  source: ViewSource;
  context?: ConversationContext;
  messages: Map<string, ChatMessage>;
  /** What the agent did here (resolve, transfer): the view stays open read-only with this note. */
  doneNote?: string;
}

const TOKEN_KEY = 'kefu:agent-token';
const TIERS: Tier[] = ['L1', 'L2', 'expert'];
const MAX_REPLY_CHARS = 2000;
const MAX_BACKOFF_MS = 15_000;
/** The server sends keep-alive comments; a stream silent for this long is presumed dead. */
const STREAM_IDLE_MS = 60_000;
/** A stream that stayed up this long resets the backoff. */
const STABLE_STREAM_MS = 10_000;
const NOTICE_MS = 8_000;
const TICK_MS = 15_000;

// ---- small DOM helpers ---------------------------------------------------------------------------

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label: string, testId: string, className?: string): HTMLButtonElement {
  return el('button', className, { type: 'button', 'data-testid': testId }, label);
}

/**
 * Makes `list` hold one child per item, in order, reusing the node already there for a key (so a
 * draft being edited keeps its text and focus) and only moving nodes that are out of place.
 */
function syncList<T>(
  list: HTMLElement,
  items: T[],
  key: (item: T) => string,
  create: (item: T) => HTMLElement,
  update: (node: HTMLElement, item: T) => void,
): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(list.children)) {
    if (child instanceof HTMLElement && child.dataset.key) existing.set(child.dataset.key, child);
  }
  let cursor = list.firstElementChild;
  for (const item of items) {
    const k = key(item);
    let node = existing.get(k);
    if (!node) {
      node = create(item);
      node.dataset.key = k;
    }
    update(node, item);
    if (node === cursor) cursor = cursor.nextElementSibling;
    else list.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    cursor.remove();
    cursor = next;
  }
}

function storage() {
  let area: Storage | undefined;
  try {
    area = window.sessionStorage;
  } catch {
    area = undefined;
  }
  return {
    get: (key: string): string | null => {
      try {
        return area?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set: (key: string, value: string): void => {
      try {
        area?.setItem(key, value);
      } catch {
        // Blocked storage: the agent signs in again after a reload.
      }
    },
    remove: (key: string): void => {
      try {
        area?.removeItem(key);
      } catch {
        // As above.
      }
    },
  };
}

function isHandoff(value: unknown): value is Handoff {
  const v = value as Handoff | undefined;
  return (
    !!v && typeof v.id === 'string' && typeof v.conversationId === 'string' && typeof v.status === 'string'
  );
}

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Items known from list loads and live events. A reload must not undo an event that arrived while
 * the list was on its way, so each item remembers when an event last touched it.
 */
class Collection<T extends { id: string }> {
  readonly items = new Map<string, T>();
  private readonly touched = new Map<string, number>();

  constructor(private readonly newer: (incoming: T, current: T) => boolean = () => true) {}

  upsert(item: T, fromEvent: boolean): void {
    const current = this.items.get(item.id);
    if (current && !this.newer(item, current)) return;
    this.items.set(item.id, item);
    if (fromEvent) this.touched.set(item.id, performance.now());
  }

  /** The lists loaded (requested at `requestedAt`) are now the whole truth, except for later events. */
  replace(loaded: T[], requestedAt: number): void {
    const fresh = (id: string) => (this.touched.get(id) ?? -Infinity) > requestedAt;
    const ids = new Set(loaded.map((i) => i.id));
    for (const id of Array.from(this.items.keys())) {
      if (!ids.has(id) && !fresh(id)) this.items.delete(id);
    }
    for (const item of loaded) if (!fresh(item.id)) this.items.set(item.id, item);
  }

  values(): T[] {
    return Array.from(this.items.values());
  }

  clear(): void {
    this.items.clear();
    this.touched.clear();
  }
}

// ---- the workspace ---------------------------------------------------------------------------------

class Workspace {
  private readonly session = storage();
  private token?: string;
  private me?: Agent;

  private readonly handoffs = new Collection<Handoff>((a, b) => time(a.updatedAt) >= time(b.updatedAt));
  private readonly drafts = new Collection<Draft>();
  private readonly tickets = new Collection<Ticket>();
  private readonly unread = new Map<string, number>();
  private readonly preview = new Map<string, string>();
  private view?: View;

  private streamController?: AbortController;
  private attempt = 0;
  private lastEventId?: string;
  private reconnectTimer?: number;
  private idleTimer?: number;
  private tickTimer?: number;
  private noticeTimer?: number;
  private suggestTimer?: number;
  private sending = false;

  // Sign-in
  private signinRoot!: HTMLElement;
  private tokenInput!: HTMLInputElement;
  private signinButton!: HTMLButtonElement;
  private signinError!: HTMLElement;
  // Frame
  private appRoot!: HTMLElement;
  private agentLabel!: HTMLElement;
  private connection!: HTMLElement;
  private notice!: HTMLElement;
  private noticeText!: HTMLElement;
  // Left column
  private queueList!: HTMLElement;
  private queueEmpty!: HTMLElement;
  private queueCount!: HTMLElement;
  private takeNextButton!: HTMLButtonElement;
  private mineList!: HTMLElement;
  private mineEmpty!: HTMLElement;
  private mineCount!: HTMLElement;
  private draftList!: HTMLElement;
  private draftEmpty!: HTMLElement;
  private draftCount!: HTMLElement;
  private ticketList!: HTMLElement;
  private ticketEmpty!: HTMLElement;
  private ticketCount!: HTMLElement;
  // Middle column
  private placeholder!: HTMLElement;
  private conversation!: HTMLElement;
  private convTitle!: HTMLElement;
  private convMeta!: HTMLElement;
  private banner!: HTMLElement;
  private transcript!: HTMLElement;
  private reply!: HTMLTextAreaElement;
  private sendButton!: HTMLButtonElement;
  private actions!: HTMLElement;
  private transferTier!: HTMLSelectElement;
  private transferNote!: HTMLInputElement;
  private transferButton!: HTMLButtonElement;
  private resolveBotButton!: HTMLButtonElement;
  private resolveCloseButton!: HTMLButtonElement;
  // Right column
  private side!: HTMLElement;
  private summary!: HTMLElement;
  private reason!: HTMLElement;
  private notes!: HTMLElement;
  private profile!: HTMLElement;
  private orders!: HTMLElement;
  private suggestions!: HTMLElement;

  constructor(
    private readonly locale: string,
    private readonly strings: Strings,
  ) {}

  private t(key: string, vars: Record<string, string | number> = {}): string {
    const text = this.strings[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
  }

  /** A label from the catalogue, or the raw value when there is none (a reason added later). */
  private label(prefix: string, value: string): string {
    return this.strings[`${prefix}.${value}`] ?? value;
  }

  start(): void {
    document.documentElement.lang = this.locale;
    document.title = this.t('title');
    this.adoptStyles();
    this.renderSignin();
    this.renderApp();
    document.body.append(this.signinRoot, this.appRoot, this.notice);
    window.addEventListener('online', () => this.reconnectNow());
    const saved = this.session.get(TOKEN_KEY);
    if (saved) void this.signIn(saved, true);
    else this.showSignin();
  }

  private adoptStyles(): void {
    // A constructed stylesheet is not an inline <style>, so the page's CSP can forbid inline styles.
    if ('adoptedStyleSheets' in document && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(workspaceStyles);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    } else {
      const style = el('style');
      style.textContent = workspaceStyles;
      document.head.append(style);
    }
  }

  // ---- layout --------------------------------------------------------------------------------------

  private renderSignin(): void {
    this.signinRoot = el('main', 'signin', { hidden: '' });
    const form = el('form', undefined, { novalidate: '' });
    const title = el('h1', undefined, {}, this.t('signin.title'));
    const intro = el('p', undefined, {}, this.t('signin.intro'));
    const label = el('label', undefined, { for: 'ws-token' }, this.t('signin.token'));
    this.tokenInput = el('input', undefined, {
      id: 'ws-token',
      type: 'password',
      autocomplete: 'current-password',
      spellcheck: 'false',
      'data-testid': 'ws-token',
    });
    this.signinError = el('div', 'error', { role: 'alert', 'data-testid': 'ws-signin-error' });
    this.signinButton = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'ws-signin' },
      this.t('signin.submit'),
    );
    form.append(title, intro, label, this.tokenInput, this.signinError, this.signinButton);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const token = this.tokenInput.value.trim();
      if (token) void this.signIn(token, false);
    });
    this.signinRoot.append(form);
  }

  private renderApp(): void {
    this.appRoot = el('div', 'app', { hidden: '' });

    const top = el('header', 'topbar');
    const title = el('h1', undefined, {}, this.t('title'));
    this.agentLabel = el('span', 'agent', { 'data-testid': 'ws-agent' });
    this.connection = el('span', 'conn', { 'data-testid': 'ws-connection', role: 'status' });
    const signout = button(this.t('header.signout'), 'ws-signout');
    signout.addEventListener('click', () => void this.signOut());
    top.append(title, this.agentLabel, this.connection, signout);

    const columns = el('div', 'columns');
    columns.append(this.renderLeft(), this.renderMiddle(), this.renderRight());
    this.appRoot.append(top, columns);

    this.notice = el('div', 'notice', { role: 'alert', hidden: '' });
    // The test id is on the text alone, so it reads exactly the API's message.
    this.noticeText = el('span', undefined, { 'data-testid': 'ws-notice' });
    const dismiss = el('button', undefined, { type: 'button', 'aria-label': '×' }, '×');
    dismiss.addEventListener('click', () => this.hideNotice());
    this.notice.append(this.noticeText, dismiss);
  }

  private panel(
    titleKey: string,
    testId: string,
    emptyKey: string,
  ): { panel: HTMLElement; head: HTMLElement; list: HTMLElement; empty: HTMLElement; count: HTMLElement } {
    const panel = el('section', 'panel', { 'data-testid': testId });
    const head = el('div', 'panel-head');
    const count = el('span', 'count', {}, '0');
    head.append(el('h2', undefined, {}, this.t(titleKey)), count);
    const list = el('ul', 'items');
    const empty = el('p', 'empty', {}, this.t(emptyKey));
    panel.append(head, empty, list);
    return { panel, head, list, empty, count };
  }

  private renderLeft(): HTMLElement {
    const col = el('aside', 'col col-left');
    const queue = this.panel('panel.queue', 'ws-queue', 'queue.empty');
    this.takeNextButton = button(this.t('queue.takeNext'), 'ws-take-next', 'primary');
    this.takeNextButton.addEventListener('click', () => void this.takeNext());
    queue.head.append(this.takeNextButton);
    const mine = this.panel('panel.mine', 'ws-mine', 'mine.empty');
    const drafts = this.panel('panel.drafts', 'ws-drafts', 'drafts.empty');
    const tickets = this.panel('panel.tickets', 'ws-tickets', 'tickets.empty');
    ({ list: this.queueList, empty: this.queueEmpty, count: this.queueCount } = queue);
    ({ list: this.mineList, empty: this.mineEmpty, count: this.mineCount } = mine);
    ({ list: this.draftList, empty: this.draftEmpty, count: this.draftCount } = drafts);
    ({ list: this.ticketList, empty: this.ticketEmpty, count: this.ticketCount } = tickets);
    col.append(queue.panel, mine.panel, drafts.panel, tickets.panel);
    return col;
  }

  private renderMiddle(): HTMLElement {
    const col = el('main', 'col col-middle');
    this.placeholder = el('p', 'placeholder', { 'data-testid': 'ws-placeholder' }, this.t('view.empty'));
    this.conversation = el('section', 'conversation', { 'data-testid': 'ws-conversation', hidden: '' });

    const head = el('div', 'conv-head');
    this.convTitle = el('h2', undefined, { 'data-testid': 'ws-customer' });
    this.convMeta = el('span', 'conv-meta');
    const close = el('button', 'close-view', {
      type: 'button',
      'data-testid': 'ws-close-view',
      'aria-label': this.t('view.close'),
      title: this.t('view.close'),
    });
    close.textContent = '×';
    close.addEventListener('click', () => this.closeView());
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
      placeholder: this.t('reply.placeholder'),
      'aria-label': this.t('reply.label'),
    });
    this.sendButton = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'ws-send' },
      this.t('reply.send'),
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
      'aria-label': this.t('transfer.tier'),
    });
    for (const tier of TIERS) {
      this.transferTier.append(el('option', undefined, { value: tier }, this.label('tier', tier)));
    }
    this.transferNote = el('input', undefined, {
      type: 'text',
      maxlength: '500',
      'data-testid': 'ws-transfer-note',
      placeholder: this.t('transfer.note'),
      'aria-label': this.t('transfer.note'),
    });
    this.transferButton = button(this.t('transfer.submit'), 'ws-transfer');
    this.transferButton.addEventListener('click', () => void this.transfer());
    this.resolveBotButton = button(this.t('resolve.bot'), 'ws-resolve-bot');
    this.resolveBotButton.addEventListener('click', () => void this.resolve(true));
    this.resolveCloseButton = button(this.t('resolve.close'), 'ws-resolve-close', 'danger');
    this.resolveCloseButton.addEventListener('click', () => void this.resolve(false));
    this.actions.append(
      el('span', undefined, {}, this.t('transfer.tier')),
      this.transferTier,
      this.transferNote,
      this.transferButton,
      this.resolveBotButton,
      this.resolveCloseButton,
    );

    this.conversation.append(head, this.banner, this.transcript, composer, this.actions);
    col.append(this.placeholder, this.conversation);
    return col;
  }

  private renderRight(): HTMLElement {
    this.side = el('aside', 'col col-right', { hidden: '' });
    const section = (titleKey: string, body: HTMLElement): HTMLElement => {
      const s = el('section', 'side-section');
      s.append(el('h3', undefined, {}, this.t(titleKey)), body);
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
    this.side.append(
      section('side.summary', this.summary),
      section('side.reason', reasonBox),
      section('side.suggestions', this.suggestions),
      section('side.profile', this.profile),
      section('side.orders', this.orders),
    );
    return this.side;
  }

  // ---- sign-in -------------------------------------------------------------------------------------

  private showSignin(error?: string): void {
    this.appRoot.hidden = true;
    this.signinRoot.hidden = false;
    this.signinError.textContent = error ?? '';
    this.signinButton.disabled = false;
    this.tokenInput.focus();
  }

  private async signIn(token: string, saved: boolean): Promise<void> {
    this.signinButton.disabled = true;
    this.signinError.textContent = '';
    let me: Agent | undefined;
    try {
      me = (await callApi<Agent>(token, 'GET', '/api/v1/agents/me')).body;
      if (!me?.id || !me.shopId) throw new ApiError(500, 'BAD_RESPONSE', '');
    } catch (err) {
      if (saved && err instanceof ApiError && err.status === 401) this.session.remove(TOKEN_KEY);
      this.showSignin(this.errorText(err, 'signin.failed'));
      return;
    }
    this.token = token;
    this.me = me;
    this.session.set(TOKEN_KEY, token);
    this.tokenInput.value = '';
    this.signinRoot.hidden = true;
    this.appRoot.hidden = false;
    this.renderAgent();
    this.setConnection('connecting');
    this.renderLists();
    this.renderView();
    try {
      const statusPath = shopPath(me.shopId, 'agents', me.id, 'status');
      const res = await callApi<Partial<Agent>>(token, 'PUT', statusPath, { status: 'online' });
      if (typeof res.body?.status === 'string' && this.me) this.me = { ...this.me, status: res.body.status };
    } catch (err) {
      if (this.handleAuthFailure(err)) return;
      this.showNotice(this.errorText(err));
    }
    if (this.token !== token) return; // signed out meanwhile
    this.connect();
    window.clearInterval(this.tickTimer);
    this.tickTimer = window.setInterval(() => this.renderQueue(), TICK_MS);
  }

  private async signOut(): Promise<void> {
    const token = this.token;
    const me = this.me;
    this.teardown();
    if (token && me) {
      try {
        await callApi(token, 'PUT', shopPath(me.shopId, 'agents', me.id, 'status'), { status: 'offline' });
      } catch {
        // Signing out locally still works; presence catches up when the event stream is gone.
      }
    }
    this.showSignin();
  }

  /** A 401 after sign-in: the token was revoked or the agent removed. Back to the sign-in form. */
  private handleAuthFailure(err: unknown): boolean {
    if (!(err instanceof ApiError || err instanceof StreamHttpError) || err.status !== 401 || !this.token) {
      return false;
    }
    this.teardown();
    this.showSignin(err.message || this.t('signin.expired'));
    return true;
  }

  private teardown(): void {
    this.session.remove(TOKEN_KEY);
    this.token = undefined;
    this.me = undefined;
    this.stopStream();
    window.clearInterval(this.tickTimer);
    window.clearTimeout(this.suggestTimer);
    this.handoffs.clear();
    this.drafts.clear();
    this.tickets.clear();
    this.unread.clear();
    this.preview.clear();
    this.view = undefined;
    this.lastEventId = undefined;
    this.hideNotice();
    this.reply.value = '';
    this.renderLists();
    this.renderView();
  }

  private renderAgent(): void {
    const me = this.me;
    this.agentLabel.textContent = me ? `${me.name} · ${this.label('tier', me.tier)}` : '';
  }

  // ---- the event stream ----------------------------------------------------------------------------

  private setConnection(state: ConnectionState): void {
    this.connection.dataset.state = state;
    this.connection.textContent = this.t(`conn.${state}`);
  }

  private connect(): void {
    const token = this.token;
    const me = this.me;
    if (!token || !me || this.streamController) return;
    const controller = new AbortController();
    this.streamController = controller;
    const startedAt = Date.now();
    let opened = false;
    readEventStream({
      url: shopPath(me.shopId, 'agent-events'),
      headers: {
        Authorization: `Bearer ${token}`,
        ...(this.lastEventId !== undefined ? { 'Last-Event-ID': this.lastEventId } : {}),
      },
      signal: controller.signal,
      onOpen: () => {
        opened = true;
        this.setConnection('connected');
        this.armIdle(controller);
        // Whatever happened while the stream was down is in the lists.
        void this.reloadAll();
      },
      onActivity: () => this.armIdle(controller),
      onEvent: (event) => {
        if (this.streamController !== controller) return;
        if (event.id !== undefined) this.lastEventId = event.id;
        this.onEvent(event);
      },
    }).then(
      () => this.streamEnded(controller, opened && Date.now() - startedAt > STABLE_STREAM_MS),
      (err: unknown) => {
        if (this.streamController !== controller) return;
        if (this.handleAuthFailure(err)) return;
        if (err instanceof StreamHttpError && err.message && err.status !== 404) this.showNotice(err.message);
        this.streamEnded(controller, opened && Date.now() - startedAt > STABLE_STREAM_MS);
      },
    );
  }

  private streamEnded(controller: AbortController, wasStable: boolean): void {
    if (this.streamController !== controller) return; // stopped on purpose
    this.streamController = undefined;
    window.clearTimeout(this.idleTimer);
    if (wasStable) this.attempt = 0;
    this.setConnection('reconnecting');
    // 1 s, 2 s, 4 s, 8 s, then every 15 s.
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt++);
    this.reconnectTimer = window.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private armIdle(controller: AbortController): void {
    window.clearTimeout(this.idleTimer);
    this.idleTimer = window.setTimeout(() => controller.abort(), STREAM_IDLE_MS);
  }

  private stopStream(): void {
    const controller = this.streamController;
    this.streamController = undefined;
    controller?.abort();
    window.clearTimeout(this.reconnectTimer);
    window.clearTimeout(this.idleTimer);
    this.reconnectTimer = undefined;
    this.attempt = 0;
  }

  private reconnectNow(): void {
    if (!this.token || this.streamController) return;
    window.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.attempt = 0;
    this.connect();
  }

  private onEvent(event: SseEvent): void {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    switch (event.event) {
      case 'handoff':
        if (isHandoff(data)) this.onHandoff(data, true);
        break;
      case 'message': {
        const m = data as { conversationId?: unknown; message?: ChatMessage };
        if (typeof m.conversationId === 'string' && typeof m.message?.id === 'string') {
          this.onMessage(m.conversationId, m.message);
        }
        break;
      }
      case 'draft': {
        const d = data as Draft;
        if (typeof d?.id === 'string') {
          this.drafts.upsert(d, true);
          this.renderDrafts();
        }
        break;
      }
      case 'ticket': {
        const t = data as Ticket;
        if (typeof t?.id === 'string') {
          this.tickets.upsert(t, true);
          this.renderTickets();
        }
        break;
      }
      default:
        break; // an event this page does not know yet
    }
  }

  private onHandoff(handoff: Handoff, fromEvent: boolean): void {
    this.trackHandoff(handoff, fromEvent);
    this.renderLists();
    if (this.view?.conversationId === handoff.conversationId) this.renderControls();
  }

  /**
   * Records a handoff, and keeps the open view's copy current: the lists drop handoffs that are
   * over, and the view must not fall back to the stale one its context was loaded with.
   */
  private trackHandoff(handoff: Handoff, fromEvent: boolean): void {
    this.handoffs.upsert(handoff, fromEvent);
    const ctx = this.view?.conversationId === handoff.conversationId ? this.view.context : undefined;
    if (ctx && (!ctx.handoff || time(handoff.updatedAt) >= time(ctx.handoff.updatedAt)))
      ctx.handoff = handoff;
  }

  private onMessage(conversationId: string, message: ChatMessage): void {
    // The list shows what the customer said last: what the agent needs to see at a glance.
    if (message.text && message.role === 'user') this.preview.set(conversationId, message.text);
    const view = this.view;
    if (view?.conversationId === conversationId) {
      this.addMessage(message);
      if (message.role === 'user') this.reloadSuggestionsSoon();
    } else if (message.role === 'user') {
      this.unread.set(conversationId, (this.unread.get(conversationId) ?? 0) + 1);
    }
    this.renderMine();
  }

  // ---- loading -------------------------------------------------------------------------------------

  private async reloadAll(): Promise<void> {
    await Promise.all([this.reloadHandoffs(), this.reloadDrafts(), this.reloadTickets(), this.reloadView()]);
  }

  private async reloadHandoffs(): Promise<void> {
    const me = this.me;
    if (!me) return;
    const requestedAt = performance.now();
    try {
      const [queue, mine] = await Promise.all([
        this.api<{ handoffs: Handoff[] }>('GET', shopPath(me.shopId, 'handoffs') + '?status=queue'),
        this.api<{ handoffs: Handoff[] }>(
          'GET',
          shopPath(me.shopId, 'handoffs') + `?status=assigned&agentId=${encodeURIComponent(me.id)}`,
        ),
      ]);
      if (this.me !== me) return;
      const all = [...(queue.body?.handoffs ?? []), ...(mine.body?.handoffs ?? [])].filter(isHandoff);
      this.handoffs.replace(all, requestedAt);
      this.renderLists();
      if (this.view) this.renderControls();
    } catch (err) {
      this.reportError(err);
    }
  }

  private async reloadDrafts(): Promise<void> {
    const me = this.me;
    if (!me) return;
    const requestedAt = performance.now();
    try {
      const res = await this.api<{ drafts: Draft[] }>(
        'GET',
        shopPath(me.shopId, 'drafts') + '?status=pending',
      );
      if (this.me !== me) return;
      this.drafts.replace(res.body?.drafts ?? [], requestedAt);
      this.renderDrafts();
    } catch (err) {
      this.reportError(err);
    }
  }

  private async reloadTickets(): Promise<void> {
    const me = this.me;
    if (!me) return;
    const requestedAt = performance.now();
    try {
      const res = await this.api<{ tickets: Ticket[] }>(
        'GET',
        shopPath(me.shopId, 'tickets') + '?status=open',
      );
      if (this.me !== me) return;
      this.tickets.replace(res.body?.tickets ?? [], requestedAt);
      this.renderTickets();
    } catch (err) {
      this.reportError(err);
    }
  }

  private api<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) {
    if (!this.token) return Promise.reject(new ApiError(401, 'UNAUTHORIZED', this.t('signin.expired')));
    return callApi<T>(this.token, method, path, body);
  }

  // ---- lists ---------------------------------------------------------------------------------------

  private renderLists(): void {
    this.renderQueue();
    this.renderMine();
    this.renderDrafts();
    this.renderTickets();
  }

  private queueItems(): Handoff[] {
    return this.handoffs
      .values()
      .filter((h) => h.status === 'pending' || h.status === 'transferred')
      .sort(
        (a, b) =>
          (a.position ?? Infinity) - (b.position ?? Infinity) || time(a.createdAt) - time(b.createdAt),
      );
  }

  private mineItems(): Handoff[] {
    const me = this.me;
    if (!me) return [];
    return this.handoffs
      .values()
      .filter((h) => h.status === 'assigned' && h.assignedTo === me.id)
      .sort((a, b) => time(a.updatedAt) - time(b.updatedAt));
  }

  private setCount(node: HTMLElement, n: number, hot = false): void {
    node.textContent = String(n);
    node.classList.toggle('hot', hot && n > 0);
  }

  private renderQueue(): void {
    const items = this.queueItems();
    this.setCount(this.queueCount, items.length, true);
    this.queueEmpty.hidden = items.length > 0;
    this.takeNextButton.disabled = !this.me;
    document.title = (items.length ? `(${items.length}) ` : '') + this.t('title');
    syncList(
      this.queueList,
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
        const take = button(this.t('queue.take'), 'ws-take', 'primary');
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
        field('reason')!.textContent = this.label('reason', h.reason);
        field('tier')!.textContent = this.label('tier', h.tier);
        field('locale')!.textContent = h.locale;
        field('user')!.textContent = h.userId;
        field('wait')!.textContent = this.t('queue.waiting', { time: this.duration(h.createdAt) });
        const position = field('position')!;
        position.textContent = h.position !== undefined ? this.t('queue.position', { n: h.position }) : '';
        const last = h.status === 'transferred' ? h.notes[h.notes.length - 1] : undefined;
        const note = field('note')!;
        note.hidden = !last;
        note.textContent = last
          ? this.t('queue.transferred', {
              from: this.label('tier', last.fromTier),
              to: this.label('tier', last.toTier),
              note: last.note,
            })
          : '';
      },
    );
  }

  private renderMine(): void {
    const items = this.mineItems();
    const max = this.me?.maxConcurrent;
    this.mineCount.textContent = max
      ? this.t('mine.capacity', { n: items.length, max })
      : String(items.length);
    this.mineEmpty.hidden = items.length > 0;
    syncList(
      this.mineList,
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
          if (id) this.openConversation(id, 'handoff');
        });
        li.append(open);
        return li;
      },
      (li, h) => {
        const field = (name: string) => li.querySelector<HTMLElement>(`[data-field="${name}"]`)!;
        field('user').textContent = h.userId;
        field('reason').textContent = this.label('reason', h.reason);
        const unread = this.unread.get(h.conversationId) ?? 0;
        field('unread').hidden = unread === 0;
        field('unread').textContent = this.t('mine.unread', { n: unread });
        field('preview').textContent = this.preview.get(h.conversationId) ?? '';
        li.classList.toggle('active', this.view?.conversationId === h.conversationId);
      },
    );
  }

  private pendingDrafts(): Draft[] {
    return this.drafts
      .values()
      .filter((d) => d.status === 'pending')
      .sort((a, b) => time(a.createdAt) - time(b.createdAt));
  }

  private renderDrafts(): void {
    const items = this.pendingDrafts();
    this.setCount(this.draftCount, items.length, true);
    this.draftEmpty.hidden = items.length > 0;
    syncList(
      this.draftList,
      items,
      (d) => d.id,
      (d) => {
        const li = el('li', 'item', { 'data-testid': 'ws-draft', 'data-draft-id': d.id });
        const meta = el('div', 'item-row');
        meta.append(
          el('span', undefined, {}, this.t('drafts.question')),
          el('span', undefined, {}, this.clock(d.createdAt)),
        );
        const question = el('div', 'item-title item-text', { 'data-testid': 'ws-draft-question' });
        question.textContent = d.question ?? this.t('drafts.noQuestion');
        const original = draftText(d);
        const text = el('textarea', undefined, {
          'data-testid': 'ws-draft-text',
          rows: '3',
          maxlength: String(MAX_REPLY_CHARS),
          'aria-label': this.t('drafts.answer'),
          title: this.t('drafts.answer'),
        });
        text.value = original;
        const chips = el('div', 'chips');
        for (const r of d.replies)
          for (const q of r.quickReplies ?? []) chips.append(el('span', 'chip', {}, q.title));
        chips.hidden = chips.childElementCount === 0;
        const actions = el('div', 'item-actions');
        const open = button(this.t('drafts.open'), 'ws-draft-open');
        open.addEventListener('click', () => this.openConversation(d.conversationId, 'draft'));
        const discard = button(this.t('drafts.discard'), 'ws-draft-discard', 'danger');
        const approve = button(this.t('drafts.approve'), 'ws-draft-approve', 'primary');
        discard.addEventListener('click', () => void this.decideDraft(d.id, 'discard', li));
        approve.addEventListener('click', () => void this.decideDraft(d.id, 'approve', li));
        actions.append(open, discard, approve);
        li.append(meta, question, text, chips, actions);
        return li;
      },
      () => undefined, // a draft's text belongs to the agent once shown
    );
  }

  private renderTickets(): void {
    const items = this.tickets
      .values()
      .filter((t) => t.status === 'open')
      .sort((a, b) => time(a.createdAt) - time(b.createdAt));
    this.setCount(this.ticketCount, items.length, true);
    this.ticketEmpty.hidden = items.length > 0;
    syncList(
      this.ticketList,
      items,
      (t) => t.id,
      (t) => {
        const li = el('li', 'item', { 'data-testid': 'ws-ticket', 'data-ticket-id': t.id });
        const meta = el('div', 'item-row');
        meta.append(
          el('span', 'item-title', {}, t.userId),
          el('span', 'tag reason', {}, this.label('reason', t.reason)),
          el('span', undefined, {}, this.clock(t.createdAt)),
        );
        const message = el('div', 'item-text', { 'data-testid': 'ws-ticket-message' });
        message.textContent = t.message ?? this.t('tickets.noMessage');
        const actions = el('div', 'item-actions');
        const open = button(this.t('tickets.open'), 'ws-ticket-open', 'primary');
        open.addEventListener('click', () => this.openConversation(t.conversationId, 'ticket'));
        const close = button(this.t('tickets.close'), 'ws-ticket-close');
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
    const me = this.me;
    if (!me) return;
    trigger.disabled = true;
    try {
      const res = await this.api<Handoff>('POST', shopPath(me.shopId, 'handoffs', handoffId, 'assign'), {
        agentId: me.id,
      });
      const taken = isHandoff(res.body) ? res.body : this.handoffs.items.get(handoffId);
      if (isHandoff(res.body)) this.onHandoff(res.body, true);
      if (taken) this.openConversation(taken.conversationId, 'handoff');
    } catch (err) {
      this.reportError(err);
      if (err instanceof ApiError && err.status === 409) void this.reloadHandoffs();
    } finally {
      trigger.disabled = false;
    }
  }

  private async takeNext(): Promise<void> {
    const me = this.me;
    if (!me) return;
    this.takeNextButton.disabled = true;
    try {
      const res = await this.api<Handoff>('POST', shopPath(me.shopId, 'handoffs', 'next'), {
        agentId: me.id,
      });
      if (res.status === 204 || !isHandoff(res.body)) {
        this.showNotice(this.t('queue.nothingWaiting'), 'info');
        void this.reloadHandoffs();
        return;
      }
      this.onHandoff(res.body, true);
      this.openConversation(res.body.conversationId, 'handoff');
    } catch (err) {
      this.reportError(err);
      if (err instanceof ApiError && err.status === 409) void this.reloadHandoffs();
    } finally {
      this.takeNextButton.disabled = !this.me;
    }
  }

  private async decideDraft(
    draftId: string,
    decision: 'approve' | 'discard',
    li: HTMLElement,
  ): Promise<void> {
    const me = this.me;
    const draft = this.drafts.items.get(draftId);
    if (!me || !draft) return;
    const body: { agentId: string; text?: string } = { agentId: me.id };
    if (decision === 'approve') {
      const edited = li.querySelector<HTMLTextAreaElement>('[data-testid="ws-draft-text"]')?.value ?? '';
      if (!edited.trim()) {
        this.showNotice(this.t('drafts.emptyText'));
        return;
      }
      if (edited.trim() !== draftText(draft).trim()) body.text = edited.trim();
    }
    const buttons = li.querySelectorAll('button');
    buttons.forEach((b) => (b.disabled = true));
    try {
      const res = await this.api<Draft>('POST', shopPath(me.shopId, 'drafts', draftId, decision), body);
      const done = res.body && typeof res.body.id === 'string' ? res.body : undefined;
      this.drafts.upsert(done ?? { ...draft, status: decision === 'approve' ? 'sent' : 'discarded' }, true);
      this.renderDrafts();
      this.showNotice(this.t(decision === 'approve' ? 'drafts.sent' : 'drafts.discarded'), 'info');
    } catch (err) {
      this.reportError(err);
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) void this.reloadDrafts();
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  private async closeTicket(ticketId: string, trigger: HTMLButtonElement): Promise<void> {
    const me = this.me;
    const ticket = this.tickets.items.get(ticketId);
    if (!me || !ticket) return;
    trigger.disabled = true;
    try {
      const res = await this.api<Ticket>('POST', shopPath(me.shopId, 'tickets', ticketId, 'close'), {
        agentId: me.id,
      });
      const closed = res.body && typeof res.body.id === 'string' ? res.body : undefined;
      this.tickets.upsert(closed ?? { ...ticket, status: 'closed' }, true);
      this.renderTickets();
      this.showNotice(this.t('tickets.closed'), 'info');
    } catch (err) {
      this.reportError(err);
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) void this.reloadTickets();
    } finally {
      trigger.disabled = false;
    }
  }

  // ---- the conversation view -----------------------------------------------------------------------

  private openConversation(conversationId: string, source: ViewSource): void {
    this.view = { conversationId, source, messages: new Map() };
    this.unread.delete(conversationId);
    this.reply.value = '';
    this.transferNote.value = '';
    this.suggestions.replaceChildren(el('li', 'empty', {}, this.t('view.loading')));
    this.renderMine();
    this.renderView();
    void this.reloadView();
    void this.loadSuggestions();
  }

  private closeView(): void {
    this.view = undefined;
    window.clearTimeout(this.suggestTimer);
    this.renderMine();
    this.renderView();
  }

  /** The handoff of the open conversation: the newest one known for it. */
  private viewHandoff(): Handoff | undefined {
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

  private viewMode(): ViewMode {
    const view = this.view;
    const h = this.viewHandoff();
    if (!view || !this.me) return 'readonly';
    if (h && h.status === 'assigned' && h.assignedTo === this.me.id && !view.doneNote) return 'active';
    if (view.source === 'ticket' && !view.doneNote) return 'ticket';
    return 'readonly';
  }

  private async reloadView(): Promise<void> {
    const view = this.view;
    const me = this.me;
    if (!view || !me) return;
    try {
      const res = await this.api<ConversationContext>(
        'GET',
        shopPath(me.shopId, 'conversations', view.conversationId, 'context'),
      );
      if (this.view !== view || !res.body) return; // another conversation was opened meanwhile
      view.context = res.body;
      const current = res.body.handoff;
      if (current && isHandoff(current)) this.handoffs.upsert(current, false);
      for (const m of res.body.transcript ?? []) {
        // A live copy may lack the NLU annotation the context has.
        view.messages.set(m.id, { ...view.messages.get(m.id), ...m });
      }
      const lastAsked = [...(res.body.transcript ?? [])].reverse().find((m) => m.role === 'user' && m.text);
      if (lastAsked) this.preview.set(view.conversationId, lastAsked.text);
      this.renderView();
      this.renderLists();
    } catch (err) {
      if (this.view === view) this.reportError(err);
    }
  }

  private reloadSuggestionsSoon(): void {
    window.clearTimeout(this.suggestTimer);
    this.suggestTimer = window.setTimeout(() => void this.loadSuggestions(), 300);
  }

  private async loadSuggestions(): Promise<void> {
    const view = this.view;
    const me = this.me;
    if (!view || !me) return;
    try {
      const res = await this.api<{ suggestions: Suggestion[] }>(
        'GET',
        shopPath(me.shopId, 'conversations', view.conversationId, 'suggestions'),
      );
      if (this.view !== view) return;
      this.renderSuggestions(res.body?.suggestions ?? []);
    } catch (err) {
      if (this.view === view) this.reportError(err);
    }
  }

  /** Everything in the middle and right columns, from the view's current state. */
  private renderView(): void {
    const view = this.view;
    this.placeholder.hidden = !!view;
    this.conversation.hidden = !view;
    this.side.hidden = !view;
    if (!view) {
      this.transcript.replaceChildren();
      this.suggestions.replaceChildren();
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
          this.t(conv.verified ? 'conversation.verified' : 'conversation.unverified'),
        ]
          .filter(Boolean)
          .join(' · ')
      : '';
    this.summary.textContent = ctx ? ctx.summary : this.t('view.loading');
    this.renderTranscript();
    this.renderProfile();
    this.renderOrders();
    this.renderControls();
  }

  private renderControls(): void {
    const view = this.view;
    if (!view) return;
    const h = this.viewHandoff();
    const mode = this.viewMode();
    const reason = view.context?.reason ?? h?.reason ?? null;
    this.reason.textContent = reason ? this.label('reason', reason) : '—';
    this.notes.replaceChildren(
      ...(h?.notes ?? []).map((n) =>
        el(
          'li',
          undefined,
          {},
          this.t('queue.transferred', {
            from: this.label('tier', n.fromTier),
            to: this.label('tier', n.toTier),
            note: n.note,
          }),
        ),
      ),
    );
    const canReply = mode === 'active' || mode === 'ticket';
    this.reply.disabled = !canReply;
    this.sendButton.disabled = !canReply || this.sending;
    this.actions.hidden = mode !== 'active';
    for (const b of [this.transferButton, this.resolveBotButton, this.resolveCloseButton])
      b.disabled = mode !== 'active';
    this.suggestions
      .querySelectorAll<HTMLButtonElement>('[data-testid="ws-suggestion-insert"]')
      .forEach((b) => (b.disabled = !canReply));

    let banner: string | undefined;
    if (view.doneNote) banner = view.doneNote;
    else if (mode === 'ticket') banner = this.t('view.ticket');
    else if (mode === 'readonly' && this.me) {
      if (!h) banner = this.t('view.readonly');
      else if (h.status === 'pending' || h.status === 'transferred') banner = this.t('view.pending');
      else if (h.status === 'assigned') banner = this.t('view.otherAgent');
      else banner = this.t('view.ended');
    }
    this.banner.hidden = !banner;
    this.banner.textContent = banner ?? '';
    this.renderMine();
  }

  private renderTranscript(): void {
    const view = this.view;
    if (!view) return;
    const messages = Array.from(view.messages.values()).sort((a, b) => time(a.createdAt) - time(b.createdAt));
    this.transcript.replaceChildren(...messages.map((m) => this.messageElement(m)));
    if (messages.length === 0 && view.context) {
      this.transcript.append(el('li', 'empty', {}, this.t('transcript.empty')));
    }
    this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  private addMessage(message: ChatMessage): void {
    const view = this.view;
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
    li.append(el('div', 'msg-meta', {}, `${this.label('role', m.role)} · ${this.clock(m.createdAt)}`));
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

  private renderProfile(): void {
    const ctx = this.view?.context;
    if (!ctx) {
      this.profile.replaceChildren(el('p', 'empty', {}, this.t('view.loading')));
      return;
    }
    const p = ctx.profile;
    if (!p) {
      this.profile.replaceChildren(el('p', 'empty', {}, this.t('profile.none')));
      return;
    }
    const dl = el('dl', 'facts');
    const row = (key: string, value: HTMLElement | string) => {
      const dd = el('dd');
      if (typeof value === 'string') dd.textContent = value;
      else dd.append(value);
      dl.append(el('dt', undefined, {}, this.t(key)), dd);
    };
    row('profile.userId', p.userId);
    if (p.name) row('profile.name', p.name);
    row(
      'profile.status',
      el(
        'span',
        p.verified ? 'ok' : undefined,
        {},
        this.t(p.verified ? 'conversation.verified' : 'conversation.unverified'),
      ),
    );
    if (p.tier !== undefined && p.tier !== null) {
      const n = Math.max(0, Math.min(5, Math.round(Number(p.tier))));
      const stars = Number.isNaN(n)
        ? el('span', undefined, {}, String(p.tier))
        : el(
            'span',
            'stars',
            { title: this.t('profile.stars', { n }), 'aria-label': this.t('profile.stars', { n }) },
            '★'.repeat(n) + '☆'.repeat(5 - n),
          );
      row('profile.tier', stars);
    }
    this.profile.replaceChildren(dl);
  }

  private renderOrders(): void {
    const ctx = this.view?.context;
    if (!ctx) {
      this.orders.replaceChildren();
      return;
    }
    if (ctx.recentOrders.length === 0) {
      this.orders.replaceChildren(el('li', 'empty', {}, this.t('orders.empty')));
      return;
    }
    this.orders.replaceChildren(
      ...ctx.recentOrders.map((o) => {
        const li = el('li', undefined, { 'data-testid': 'ws-order', 'data-order-id': o.id });
        const row = el('div', 'order-row');
        row.append(
          el('span', 'item-title', {}, o.id),
          el('span', 'tag', {}, this.label('order', o.status)),
          el('span', 'total', {}, this.money(o.total, o.currency)),
        );
        const items = el(
          'div',
          'order-items',
          {},
          o.items.map((i) => this.t('orders.items', { name: i.name, quantity: i.quantity })).join('，'),
        );
        li.append(row, items);
        return li;
      }),
    );
  }

  private renderSuggestions(list: Suggestion[]): void {
    const canReply = this.viewMode() !== 'readonly';
    if (list.length === 0) {
      this.suggestions.replaceChildren(el('li', 'empty', {}, this.t('suggest.empty')));
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
          this.label('source', s.source),
        );
        const score = el(
          'span',
          undefined,
          {},
          this.t('suggest.score', { score: Number(s.score).toFixed(2) }),
        );
        const insert = button(this.t('suggest.insert'), 'ws-suggestion-insert');
        insert.disabled = !canReply;
        insert.addEventListener('click', () => this.insertReply(s.text));
        row.append(badge, score, insert);
        li.append(el('div', 'item-text', { 'data-testid': 'ws-suggestion-text' }, s.text), row);
        return li;
      }),
    );
  }

  private insertReply(text: string): void {
    if (this.reply.disabled) return;
    const start = this.reply.selectionStart ?? this.reply.value.length;
    const end = this.reply.selectionEnd ?? start;
    this.reply.setRangeText(text, start, end, 'end');
    this.reply.focus();
  }

  // ---- conversation actions ------------------------------------------------------------------------

  private async sendReply(): Promise<void> {
    const view = this.view;
    const me = this.me;
    const text = this.reply.value.trim();
    if (!view || !me || !text || this.sending || this.reply.disabled) return;
    this.sending = true;
    this.sendButton.disabled = true;
    try {
      const res = await this.api<{ message?: ChatMessage }>(
        'POST',
        shopPath(me.shopId, 'conversations', view.conversationId, 'agent-messages'),
        { agentId: me.id, text },
      );
      if (this.view === view) {
        if (this.reply.value.trim() === text) this.reply.value = '';
        if (res.body?.message?.id) this.addMessage(res.body.message);
      }
    } catch (err) {
      this.reportError(err);
    } finally {
      this.sending = false;
      this.renderControls();
      this.reply.focus();
    }
  }

  private async transfer(): Promise<void> {
    const tier = this.transferTier.value as Tier;
    const note = this.transferNote.value.trim();
    await this.handoffAction('transfer', { tier, ...(note ? { note } : {}) }, () =>
      this.t('view.transferredTo', { tier: this.label('tier', tier) }),
    );
    if (this.view?.doneNote) this.transferNote.value = '';
  }

  private async resolve(returnToBot: boolean): Promise<void> {
    await this.handoffAction('resolve', { returnToBot }, () =>
      this.t(returnToBot ? 'view.returnedToBot' : 'view.closedByYou'),
    );
  }

  private async handoffAction(
    action: 'transfer' | 'resolve',
    body: unknown,
    done: () => string,
  ): Promise<void> {
    const view = this.view;
    const me = this.me;
    const h = this.viewHandoff();
    if (!view || !me || !h) return;
    for (const b of [this.transferButton, this.resolveBotButton, this.resolveCloseButton]) b.disabled = true;
    try {
      const res = await this.api<Handoff>('POST', shopPath(me.shopId, 'handoffs', h.id, action), body);
      this.trackHandoff(
        isHandoff(res.body)
          ? res.body
          : { ...h, status: action === 'resolve' ? 'resolved' : 'transferred', assignedTo: null },
        true,
      );
      if (this.view === view) view.doneNote = done();
      else this.showNotice(done(), 'info');
      this.renderLists();
    } catch (err) {
      this.reportError(err);
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) void this.reloadHandoffs();
    } finally {
      this.renderControls();
    }
  }

  // ---- notices and formatting ----------------------------------------------------------------------

  private reportError(err: unknown): void {
    if (this.handleAuthFailure(err)) return;
    this.showNotice(this.errorText(err));
  }

  /** The API's own message; never a stack trace. */
  private errorText(err: unknown, fallbackKey = 'error.generic'): string {
    if (err instanceof ApiError || err instanceof StreamHttpError) {
      if (err.message) return err.message;
      if (err.code === 'NETWORK') return this.t('error.network');
      if (err.code === 'TIMEOUT') return this.t('error.timeout');
    }
    return this.t(fallbackKey);
  }

  private showNotice(text: string, kind: 'error' | 'info' = 'error'): void {
    this.noticeText.textContent = text;
    this.notice.dataset.kind = kind;
    this.noticeText.dataset.kind = kind;
    this.notice.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    this.notice.hidden = false;
    window.clearTimeout(this.noticeTimer);
    this.noticeTimer = window.setTimeout(() => this.hideNotice(), NOTICE_MS);
  }

  private hideNotice(): void {
    window.clearTimeout(this.noticeTimer);
    this.notice.hidden = true;
  }

  private duration(sinceIso: string): string {
    const seconds = Math.max(0, Math.round((Date.now() - time(sinceIso)) / 1000));
    if (seconds < 60) return this.t('time.seconds', { n: seconds });
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return this.t('time.minutes', { n: minutes });
    return this.t('time.hours', { h: Math.floor(minutes / 60), m: minutes % 60 });
  }

  private clock(iso: string): string {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay
      ? d.toLocaleTimeString(this.locale, { hour: '2-digit', minute: '2-digit' })
      : d.toLocaleString(this.locale, {
          month: 'numeric',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
        });
  }

  private money(amount: number, currency: string): string {
    try {
      return new Intl.NumberFormat(this.locale, { style: 'currency', currency }).format(amount);
    } catch {
      return `${amount} ${currency}`;
    }
  }
}

/** The draft's replies as one editable text. */
function draftText(d: Draft): string {
  return d.replies.map((r) => r.text).join('\n\n');
}

/** The page's words: the JSON block /agent embeds, `{ "zh-CN": {...}, "en-US": {...} }`. */
function readCatalog(): Record<string, Strings> {
  try {
    return JSON.parse(document.getElementById('ws-messages')?.textContent ?? '{}') as Record<string, Strings>;
  } catch {
    return {};
  }
}

function boot(): void {
  const catalog = readCatalog();
  const wanted = (navigator.language || '').toLowerCase();
  const locale = wanted.startsWith('zh') ? 'zh-CN' : 'en-US';
  const strings = catalog[locale] ?? catalog['en-US'] ?? {};
  new Workspace(locale, strings).start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
