import type { ServerFrame, WidgetConfig, WireMessage } from '../protocol';
import { widgetStyles } from './widget.styles';

/**
 * The Kefu web chat widget: one script tag on a shop's page.
 *   <script src="https://kefu.example/widget.js" data-shop-id="demo" defer></script>
 * Optional: data-user-id + data-user-hash (the shop vouches for a logged-in customer),
 * data-locale, data-api-base (defaults to the script's own origin).
 * Every piece of text from the server goes in with textContent, never as HTML.
 */

interface Options {
  shopId: string;
  apiBase: string;
  userId?: string;
  userHash?: string;
  locale?: string;
}

interface Outgoing {
  id: string;
  text: string;
  payload?: string;
}

interface Choice {
  title: string;
  payload: string;
}

const MAX_CHARS = 2000;
const MAX_BACKOFF_MS = 30_000;
const PING_EVERY_MS = 25_000;
const PONG_TIMEOUT_MS = 10_000;
// The server closes with these when retrying cannot help.
const FATAL_CLOSE_CODES = [4400, 4401, 4404];
/** Closed for idling: no reconnect until the visitor sends a message (send() connects). */
const IDLE_CLOSE_CODE = 4408;
/** How often a message a busy server shed is sent again before it is shown as failed. */
const MAX_BUSY_RESENDS = 5;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const SVG_NS = 'http://www.w3.org/2000/svg';
const CHAT_ICON_PATH =
  'M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.2-2.3c1 .3 2.1.4 3.2.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z';

function randomId(length = 22): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += ID_ALPHABET[b & 63];
  return out;
}

/** Storage that may be blocked (private mode, sandboxed frames): the widget still works, just forgets. */
function storage(kind: 'localStorage' | 'sessionStorage') {
  let area: Storage | undefined;
  try {
    area = window[kind];
  } catch {
    area = undefined;
  }
  return {
    get(key: string): string | null {
      try {
        return area?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set(key: string, value: string): void {
      try {
        area?.setItem(key, value);
      } catch {
        // Quota or privacy settings: not fatal.
      }
    },
  };
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function chatIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', CHAT_ICON_PATH);
  svg.append(path);
  return svg;
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

class KefuWidget {
  private readonly local = storage('localStorage');
  private readonly session = storage('sessionStorage');
  private readonly keyPrefix: string;
  private readonly visitorId: string;
  private config!: WidgetConfig;
  private locale = 'en-US';

  private ws?: WebSocket;
  private ready = false;
  private fatal = false;
  private attempt = 0;
  private reconnectTimer?: number;
  private pingTimer?: number;
  private pongTimer?: number;

  private outbox: Outgoing[] = [];
  /** Resends of messages a busy server shed (error frames with retryAfter), by client id. */
  private readonly shed = new Map<string, number>();
  private readonly rendered = new Map<string, HTMLElement>();
  private readonly pending = new Map<string, HTMLElement>();
  private unread = 0;
  private isOpen = false;

  private root!: HTMLDivElement;
  private launcher!: HTMLButtonElement;
  private badge!: HTMLSpanElement;
  private panel!: HTMLDivElement;
  private banner!: HTMLDivElement;
  private list!: HTMLDivElement;
  private typing!: HTMLDivElement;
  private input!: HTMLTextAreaElement;
  private sendButton!: HTMLButtonElement;

  constructor(private readonly opts: Options) {
    this.keyPrefix = `kefu:${opts.shopId}:`;
    let visitorId = this.local.get(this.keyPrefix + 'visitor');
    if (!visitorId || !/^[A-Za-z0-9_-]{8,64}$/.test(visitorId)) {
      visitorId = randomId();
      this.local.set(this.keyPrefix + 'visitor', visitorId);
    }
    this.visitorId = visitorId;
    try {
      const saved: unknown = JSON.parse(this.local.get(this.keyPrefix + 'outbox') ?? '[]');
      if (Array.isArray(saved)) this.outbox = saved.filter((o: Outgoing) => o && typeof o.id === 'string');
    } catch {
      this.outbox = [];
    }
  }

  async start(): Promise<void> {
    this.config = await this.loadConfig();
    this.locale = this.chooseLocale();
    this.render();
    // Someone who has chatted before gets agent replies and history without opening the panel first.
    const wasOpen = this.session.get(this.keyPrefix + 'open') === '1';
    if (wasOpen) this.open();
    else if (this.local.get(this.keyPrefix + 'chatted') === '1' || this.outbox.length > 0) this.connect();
    window.addEventListener('online', () => this.reconnectNow());
  }

  private t(key: string): string {
    const ui = this.config.ui;
    return ui[this.locale]?.[key] ?? Object.values(ui)[0]?.[key] ?? '';
  }

  private async loadConfig(): Promise<WidgetConfig> {
    const url = `${this.opts.apiBase}/channels/web/${encodeURIComponent(this.opts.shopId)}/config`;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(url, { credentials: 'omit' });
        if (res.status === 404) throw new Error(`kefu: unknown shop "${this.opts.shopId}"`);
        if (res.ok) return (await res.json()) as WidgetConfig;
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('kefu:')) throw err;
      }
      await new Promise((r) => setTimeout(r, this.backoff(attempt)));
    }
  }

  private chooseLocale(): string {
    const locales = this.config.locales;
    const wanted = [this.opts.locale, ...(navigator.languages ?? [navigator.language])].filter(
      Boolean,
    ) as string[];
    for (const w of wanted) {
      const exact = locales.find((l) => l.toLowerCase() === w.toLowerCase());
      if (exact) return exact;
      const sameLanguage = locales.find((l) => l.slice(0, 2).toLowerCase() === w.slice(0, 2).toLowerCase());
      if (sameLanguage) return sameLanguage;
    }
    return locales[0] ?? 'en-US';
  }

  // ---- DOM -------------------------------------------------------------------------------------

  private render(): void {
    const host = el('div', undefined, { id: 'kefu-widget' });
    const shadow = host.attachShadow({ mode: 'open' });
    // A constructed stylesheet is not an inline <style>, so a shop page's strict CSP does not block it.
    if ('adoptedStyleSheets' in shadow && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(widgetStyles);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      const style = el('style');
      style.textContent = widgetStyles;
      shadow.append(style);
    }
    this.root = el('div', 'root', { lang: this.locale });

    this.launcher = el('button', 'launcher', {
      type: 'button',
      'data-testid': 'kefu-launcher',
      'aria-label': this.t('open'),
      'aria-expanded': 'false',
    });
    this.badge = el('span', 'badge', { 'data-testid': 'kefu-unread', hidden: '' });
    this.launcher.append(chatIcon(), this.badge);
    this.launcher.addEventListener('click', () => (this.isOpen ? this.close() : this.open()));

    this.panel = el('div', 'panel', { 'data-testid': 'kefu-panel', role: 'dialog', hidden: '' });
    this.panel.setAttribute('aria-label', this.config.name);
    const header = el('div', 'header');
    const title = el('div', 'title', { 'data-testid': 'kefu-title' });
    title.textContent = this.config.name;
    const closeButton = el('button', 'close', { type: 'button', 'aria-label': this.t('close') });
    closeButton.textContent = '×';
    closeButton.addEventListener('click', () => this.close());
    header.append(title, closeButton);

    this.banner = el('div', 'banner', { 'data-testid': 'kefu-banner', role: 'status', hidden: '' });
    this.list = el('div', 'list', { role: 'log', 'aria-live': 'polite' });
    this.typing = el('div', 'typing', { 'data-testid': 'kefu-typing', hidden: '' });
    this.typing.append(el('span'), el('span'), el('span'));

    const composer = el('form', 'composer');
    this.input = el('textarea', 'input', {
      'data-testid': 'kefu-input',
      rows: '1',
      maxlength: String(MAX_CHARS),
      placeholder: this.t('placeholder'),
      'aria-label': this.t('placeholder'),
    });
    this.sendButton = el('button', 'send', { type: 'submit', 'data-testid': 'kefu-send' });
    this.sendButton.textContent = this.t('send');
    composer.append(this.input, this.sendButton);
    composer.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submitInput();
    });
    this.input.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a new line, and Enter that confirms an IME candidate (拼音) does neither.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.submitInput();
      }
    });
    this.input.addEventListener('input', () => this.autosize());
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });

    this.panel.append(header, this.banner, this.list, this.typing, composer);
    this.root.append(this.launcher, this.panel);
    shadow.append(this.root);
    document.body.append(host);
    this.showGreetingIfEmpty();
    for (const item of this.outbox) this.renderPending(item);
  }

  private open(): void {
    this.isOpen = true;
    this.panel.hidden = false;
    this.root.classList.add('open');
    this.launcher.setAttribute('aria-expanded', 'true');
    this.session.set(this.keyPrefix + 'open', '1');
    this.unread = 0;
    this.badge.hidden = true;
    this.connect();
    this.scrollToEnd();
    this.input.focus();
  }

  private close(): void {
    this.isOpen = false;
    this.panel.hidden = true;
    this.root.classList.remove('open');
    this.launcher.setAttribute('aria-expanded', 'false');
    this.session.set(this.keyPrefix + 'open', '0');
    this.launcher.focus();
  }

  private autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 120)}px`;
  }

  private scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  private showGreetingIfEmpty(): void {
    if (this.list.childElementCount > 0) return;
    const greeting = this.config.greeting[this.locale] ?? Object.values(this.config.greeting)[0];
    if (greeting) this.list.append(this.messageElement({ role: 'bot', text: greeting }, 'greeting'));
  }

  private messageElement(
    m: Pick<WireMessage, 'role' | 'text' | 'card'> & { createdAt?: string },
    id: string,
  ): HTMLElement {
    const node = el('div', 'msg', { 'data-testid': 'kefu-message', 'data-role': m.role, 'data-id': id });
    if (m.role === 'agent') {
      const label = el('div', 'label');
      label.textContent = this.t('agent');
      node.append(label);
    }
    if (m.text) {
      const bubble = el('div', 'bubble');
      bubble.textContent = m.text;
      if (m.createdAt) bubble.title = new Date(m.createdAt).toLocaleString(this.locale);
      node.append(bubble);
    }
    if (m.card) {
      const card = el('div', 'card', { 'data-testid': 'kefu-card' });
      const title = el('div', 'card-title');
      title.textContent = m.card.title;
      card.append(title);
      if (m.card.subtitle) {
        const subtitle = el('div', 'card-subtitle');
        subtitle.textContent = m.card.subtitle;
        card.append(subtitle);
      }
      if (m.card.fields?.length) {
        const dl = el('dl');
        for (const f of m.card.fields) {
          const dt = el('dt');
          dt.textContent = f.label;
          const dd = el('dd');
          dd.textContent = f.value;
          dl.append(dt, dd);
        }
        card.append(dl);
      }
      if (m.card.buttons?.length) card.append(this.choices(m.card.buttons, 'kefu-card-button'));
      node.append(card);
    }
    return node;
  }

  private choices(items: Choice[], testId: string): HTMLElement {
    const box = el('div', 'choices');
    for (const item of items) {
      const button = el('button', 'choice', { type: 'button', 'data-testid': testId });
      button.textContent = item.title;
      button.addEventListener('click', () => this.send(item.title, item.payload));
      box.append(button);
    }
    return box;
  }

  private appendMessage(m: WireMessage): void {
    if (this.rendered.has(m.id)) return;
    if (!m.text && !m.card) return;
    const node = this.messageElement(m, m.id);
    if (m.quickReplies?.length) {
      const quick = this.choices(m.quickReplies, 'kefu-quick-reply');
      quick.classList.add('quick');
      node.append(quick);
    }
    this.removeGreetingIfAlone(m);
    this.list.append(node);
    this.rendered.set(m.id, node);
    this.keepQuickRepliesOnLast();
    this.scrollToEnd();
  }

  /** Only the newest message's quick replies are offered; older ones are answered or stale. */
  private keepQuickRepliesOnLast(): void {
    const quick = this.list.querySelectorAll('.quick');
    const last = this.list.lastElementChild;
    quick.forEach((q) => {
      if (q.parentElement !== last) q.remove();
    });
  }

  private removeGreetingIfAlone(m: WireMessage): void {
    // The bot's own first answer greets too; the local greeting only fills an empty panel.
    if (m.role === 'user') return;
    const greeting = this.list.querySelector('[data-id="greeting"]');
    if (greeting && this.rendered.size === 0 && this.pending.size === 0) greeting.remove();
  }

  private renderPending(item: Outgoing): void {
    const node = this.messageElement({ role: 'user', text: item.text }, item.id);
    node.classList.add('pending');
    this.list.append(node);
    this.pending.set(item.id, node);
    this.keepQuickRepliesOnLast();
    this.scrollToEnd();
  }

  private renderHistory(messages: WireMessage[]): void {
    this.list.replaceChildren();
    this.rendered.clear();
    this.pending.clear();
    for (const m of messages) this.appendMessage(m);
    const queued = this.outbox.filter((o) => !this.rendered.has(o.id));
    for (const item of queued) this.renderPending(item);
    this.showGreetingIfEmpty();
    this.scrollToEnd();
  }

  private notice(text: string): void {
    const node = el('div', 'notice', { 'data-testid': 'kefu-notice', role: 'status' });
    node.textContent = text;
    this.list.append(node);
    this.scrollToEnd();
  }

  private setBanner(text: string | null): void {
    this.banner.hidden = text === null;
    this.banner.textContent = text ?? '';
  }

  // ---- sending ---------------------------------------------------------------------------------

  private submitInput(): void {
    if (this.send(this.input.value)) {
      this.input.value = '';
      this.autosize();
    }
    this.input.focus();
  }

  /** Queues a message; it stays queued (and is resent with the same id) until the server acknowledges it. */
  private send(text: string, payload?: string): boolean {
    const trimmed = text.trim();
    if ((!trimmed && !payload) || this.fatal) return false; // when fatal, the banner says why
    if (codePoints(trimmed) > MAX_CHARS) {
      this.notice(this.t('error.tooLong'));
      return false;
    }
    const item: Outgoing = { id: randomId(), text: trimmed, ...(payload ? { payload } : {}) };
    this.outbox.push(item);
    this.saveOutbox();
    this.local.set(this.keyPrefix + 'chatted', '1');
    this.list.querySelectorAll('.quick').forEach((q) => q.remove());
    this.renderPending(item);
    this.transmit(item);
    if (!this.ws) this.connect();
    return true;
  }

  private transmit(item: Outgoing): void {
    if (!this.ws || !this.ready || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(
      JSON.stringify({
        type: 'message',
        id: item.id,
        ...(item.text ? { text: item.text } : {}),
        ...(item.payload ? { payload: item.payload } : {}),
        ...(this.opts.locale ? { locale: this.opts.locale } : {}),
      }),
    );
  }

  private settle(clientId: string, messageId?: string): void {
    this.shed.delete(clientId);
    this.outbox = this.outbox.filter((o) => o.id !== clientId);
    this.saveOutbox();
    const node = this.pending.get(clientId);
    if (!node) return;
    this.pending.delete(clientId);
    if (messageId && this.rendered.has(messageId)) {
      node.remove(); // the server's copy is already on screen
      return;
    }
    node.classList.remove('pending');
    if (messageId) {
      node.dataset.id = messageId;
      this.rendered.set(messageId, node);
    }
  }

  /**
   * A busy server shed the message: it stays pending and goes again after the server's Retry-After
   * (plus jitter, so shed widgets do not all come back at once), a few times before it counts as failed.
   */
  private resendLater(clientId: string, retryAfterSeconds: number): boolean {
    const tries = this.shed.get(clientId) ?? 0;
    if (tries >= MAX_BUSY_RESENDS || !this.outbox.some((o) => o.id === clientId)) {
      this.shed.delete(clientId);
      return false;
    }
    this.shed.set(clientId, tries + 1);
    window.setTimeout(
      () => {
        const item = this.outbox.find((o) => o.id === clientId);
        if (item) this.transmit(item);
      },
      (retryAfterSeconds + Math.random() * retryAfterSeconds) * 1000,
    );
    return true;
  }

  private fail(clientId: string): void {
    this.shed.delete(clientId);
    this.outbox = this.outbox.filter((o) => o.id !== clientId);
    this.saveOutbox();
    const node = this.pending.get(clientId);
    if (!node) return;
    this.pending.delete(clientId);
    node.classList.remove('pending');
    node.classList.add('failed');
    const note = el('div', 'note');
    note.textContent = this.t('failed');
    node.append(note);
  }

  private saveOutbox(): void {
    this.local.set(this.keyPrefix + 'outbox', JSON.stringify(this.outbox));
  }

  // ---- connection ------------------------------------------------------------------------------

  private connect(): void {
    if (this.ws || this.fatal || this.reconnectTimer !== undefined) return;
    const params = new URLSearchParams({ visitorId: this.visitorId });
    if (this.opts.userId && this.opts.userHash) {
      params.set('userId', this.opts.userId);
      params.set('userHash', this.opts.userHash);
    }
    const base = this.opts.apiBase.replace(/^http/, 'ws');
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${base}/channels/web/${encodeURIComponent(this.opts.shopId)}/ws?${params}`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.onopen = () => this.startPing();
    ws.onmessage = (e) => {
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(e.data)) as ServerFrame;
      } catch {
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = (e) => this.onClose(ws, e.code);
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'history':
        this.ready = true;
        this.attempt = 0;
        this.setBanner(null);
        this.renderHistory(frame.messages);
        for (const item of this.outbox) this.transmit(item);
        break;
      case 'message': {
        const m = frame.message;
        if (m.clientId && this.pending.has(m.clientId)) {
          this.settle(m.clientId, m.id);
          break;
        }
        if (this.rendered.has(m.id)) break;
        this.appendMessage(m);
        if (!this.isOpen && m.role !== 'user') {
          this.unread++;
          this.badge.textContent = String(this.unread);
          this.badge.hidden = false;
        }
        break;
      }
      case 'typing':
        this.typing.hidden = !frame.on;
        if (frame.on) this.scrollToEnd();
        break;
      case 'ack':
        this.settle(frame.id, frame.messageId);
        break;
      case 'error':
        if (frame.id && frame.retryAfter !== undefined && this.resendLater(frame.id, frame.retryAfter)) {
          this.notice(this.t('error.busy'));
          break;
        }
        if (frame.id) this.fail(frame.id);
        this.notice(this.t(frame.code === 'PAYLOAD_TOO_LARGE' ? 'error.tooLong' : 'error.generic'));
        break;
      case 'pong':
        window.clearTimeout(this.pongTimer);
        this.pongTimer = undefined;
        break;
    }
  }

  private onClose(ws: WebSocket, code: number): void {
    if (this.ws !== ws) return;
    this.ws = undefined;
    this.ready = false;
    this.stopPing();
    this.typing.hidden = true;
    if (FATAL_CLOSE_CODES.includes(code)) {
      this.fatal = true;
      this.setBanner(this.t(code === 4401 ? 'error.auth' : 'error.unavailable'));
      return;
    }
    if (code === IDLE_CLOSE_CODE) return;
    this.setBanner(this.t('offline'));
    this.scheduleReconnect();
  }

  /** Exponential backoff from 1 s to 30 s, with jitter so a restarted server is not stampeded. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private scheduleReconnect(): void {
    if (this.fatal || this.reconnectTimer !== undefined) return;
    const delay = this.backoff(this.attempt++);
    this.reconnectTimer = window.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private reconnectNow(): void {
    if (this.ws || this.fatal) return;
    window.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.attempt = 0;
    this.connect();
  }

  /** Browsers do not notice a silently dead connection; a ping without a pong means reconnect. */
  private startPing(): void {
    this.stopPing();
    this.pingTimer = window.setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      ws.send('{"type":"ping"}');
      if (this.pongTimer === undefined) {
        this.pongTimer = window.setTimeout(() => {
          this.pongTimer = undefined;
          ws.close();
          this.onClose(ws, 1006);
        }, PONG_TIMEOUT_MS);
      }
    }, PING_EVERY_MS);
  }

  private stopPing(): void {
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }
}

function boot(): void {
  // currentScript is only set while this script runs, so it is read before anything waits.
  const script =
    (document.currentScript as HTMLScriptElement | null) ??
    document.querySelector<HTMLScriptElement>('script[data-shop-id][src*="widget.js"]');
  const data = script?.dataset;
  if (!script || !data?.shopId) {
    console.warn('kefu: the widget script needs a data-shop-id attribute');
    return;
  }
  const flag = window as unknown as { __kefuWidget?: boolean };
  if (flag.__kefuWidget) return;
  flag.__kefuWidget = true;
  const opts: Options = {
    shopId: data.shopId,
    apiBase: (data.apiBase || new URL(script.src, location.href).origin).replace(/\/+$/, ''),
    userId: data.userId || undefined,
    userHash: data.userHash || undefined,
    locale: data.locale || undefined,
  };
  const start = () => {
    new KefuWidget(opts).start().catch((err: unknown) => console.warn(String(err)));
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}

boot();
