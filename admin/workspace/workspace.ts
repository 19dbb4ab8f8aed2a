import { isHandoff } from './collection';
import { adoptStyles, el, storage } from './dom';
import { I18n, readCatalog } from './i18n';
import { StreamHttpError } from './sse';
import { type ViewSource, WorkspaceState } from './state';
import { AgentStream } from './stream';
import { ContextPanels, type ContextHost } from './views/context-panels';
import { type ConversationHost, ConversationView } from './views/conversation';
import { TopBar } from './views/frame';
import { Notice } from '../browser/notice';
import { Lists, type ListsHost } from './views/lists';
import { SigninForm } from './views/signin';
import {
  type Agent,
  ApiError,
  type ChatMessage,
  type ConversationContext,
  type Draft,
  type Handoff,
  type Ticket,
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
 *
 * This file holds the orchestration (sign-in, the stream's events, loading, which conversation is
 * open); the columns draw themselves in views/, from the state in state.ts.
 */

const TOKEN_KEY = 'kefu:agent-token';
const TICK_MS = 15_000;

class Workspace {
  private readonly session = storage();
  private token?: string;
  private readonly state = new WorkspaceState();
  private readonly stream: AgentStream;
  private tickTimer?: number;

  private readonly signin: SigninForm;
  private readonly appRoot: HTMLElement;
  private readonly topBar: TopBar;
  private readonly notice = new Notice('ws-notice');
  private readonly lists: Lists;
  private readonly conversation: ConversationView;
  private readonly side: ContextPanels;

  constructor(private readonly i18n: I18n) {
    const host: ListsHost & ConversationHost & ContextHost = {
      api: this.api.bind(this),
      showNotice: (text, kind) => this.notice.show(text, kind),
      reportError: (err) => this.reportError(err),
      onHandoff: (handoff, fromEvent) => this.onHandoff(handoff, fromEvent),
      openConversation: (conversationId, source) => this.openConversation(conversationId, source),
      closeView: () => this.closeView(),
      insertReply: (text) => this.conversation.insertReply(text),
      renderLists: () => this.lists.render(),
      renderControls: () => this.renderControls(),
      reloadHandoffs: () => this.reloadHandoffs(),
      reloadDrafts: () => this.reloadDrafts(),
      reloadTickets: () => this.reloadTickets(),
    };
    this.signin = new SigninForm(i18n, (token) => void this.signIn(token, false));
    this.topBar = new TopBar(i18n, () => void this.signOut());
    this.lists = new Lists(i18n, this.state, host);
    this.conversation = new ConversationView(i18n, this.state, host);
    this.side = new ContextPanels(i18n, this.state, host);
    this.appRoot = el('div', 'app', { hidden: '' });
    const columns = el('div', 'columns');
    columns.append(this.lists.element, this.conversation.element, this.side.element);
    this.appRoot.append(this.topBar.element, columns);

    this.stream = new AgentStream({
      target: () => {
        const me = this.state.me;
        return this.token && me ? { url: shopPath(me.shopId, 'agent-events'), token: this.token } : undefined;
      },
      onState: (state) => this.topBar.setConnection(state),
      // Whatever happened while the stream was down is in the lists.
      onOpen: () => void this.reloadAll(),
      onError: (err) => {
        if (this.handleAuthFailure(err)) return;
        if (err instanceof StreamHttpError && err.message && err.status !== 404)
          this.notice.show(err.message);
      },
      onHandoff: (handoff) => this.onHandoff(handoff, true),
      onMessage: (conversationId, message) => this.onMessage(conversationId, message),
      onDraft: (draft) => {
        this.state.drafts.upsert(draft, true);
        this.lists.renderDrafts();
      },
      onTicket: (ticket) => {
        this.state.tickets.upsert(ticket, true);
        this.lists.renderTickets();
      },
    });
  }

  start(): void {
    document.documentElement.lang = this.i18n.locale;
    document.title = this.i18n.t('title');
    adoptStyles(workspaceStyles);
    document.body.append(this.signin.element, this.appRoot, this.notice.element);
    window.addEventListener('online', () => this.stream.reconnectNow());
    const saved = this.session.get(TOKEN_KEY);
    if (saved) void this.signIn(saved, true);
    else this.showSignin();
  }

  // ---- sign-in -------------------------------------------------------------------------------------

  private showSignin(error?: string): void {
    this.appRoot.hidden = true;
    this.signin.show(error);
  }

  private async signIn(token: string, saved: boolean): Promise<void> {
    this.signin.busy();
    let me: Agent | undefined;
    try {
      me = (await callApi<Agent>(token, 'GET', '/api/v1/agents/me')).body;
      if (!me?.id || !me.shopId) throw new ApiError(500, 'BAD_RESPONSE', '');
    } catch (err) {
      if (saved && err instanceof ApiError && err.status === 401) this.session.remove(TOKEN_KEY);
      this.showSignin(this.i18n.errorText(err, 'signin.failed'));
      return;
    }
    this.token = token;
    this.state.me = me;
    this.session.set(TOKEN_KEY, token);
    this.signin.hide();
    this.appRoot.hidden = false;
    this.topBar.renderAgent(me);
    this.topBar.setConnection('connecting');
    this.lists.render();
    this.renderView();
    try {
      const statusPath = shopPath(me.shopId, 'agents', me.id, 'status');
      const res = await callApi<Partial<Agent>>(token, 'PUT', statusPath, { status: 'online' });
      if (typeof res.body?.status === 'string' && this.state.me)
        this.state.me = { ...this.state.me, status: res.body.status };
    } catch (err) {
      if (this.handleAuthFailure(err)) return;
      this.notice.show(this.i18n.errorText(err));
    }
    if (this.token !== token) return; // signed out meanwhile
    this.stream.connect();
    window.clearInterval(this.tickTimer);
    this.tickTimer = window.setInterval(() => this.lists.renderQueue(), TICK_MS);
  }

  private async signOut(): Promise<void> {
    const token = this.token;
    const me = this.state.me;
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
    this.showSignin(err.message || this.i18n.t('signin.expired'));
    return true;
  }

  private teardown(): void {
    this.session.remove(TOKEN_KEY);
    this.token = undefined;
    this.state.clear();
    this.stream.stop();
    window.clearInterval(this.tickTimer);
    this.side.cancelSuggestions();
    this.notice.hide();
    this.conversation.clearReply();
    this.lists.render();
    this.renderView();
  }

  // ---- live events ---------------------------------------------------------------------------------

  private onHandoff(handoff: Handoff, fromEvent: boolean): void {
    this.state.trackHandoff(handoff, fromEvent);
    this.lists.render();
    if (this.state.view?.conversationId === handoff.conversationId) this.renderControls();
  }

  private onMessage(conversationId: string, message: ChatMessage): void {
    const { state } = this;
    // The list shows what the customer said last: what the agent needs to see at a glance.
    if (message.text && message.role === 'user') state.preview.set(conversationId, message.text);
    const view = state.view;
    if (view?.conversationId === conversationId) {
      this.conversation.addMessage(message);
      if (message.role === 'user') this.side.reloadSuggestionsSoon();
    } else if (message.role === 'user') {
      state.unread.set(conversationId, (state.unread.get(conversationId) ?? 0) + 1);
    }
    this.lists.renderMine();
  }

  // ---- loading -------------------------------------------------------------------------------------

  private async reloadAll(): Promise<void> {
    await Promise.all([this.reloadHandoffs(), this.reloadDrafts(), this.reloadTickets(), this.reloadView()]);
  }

  private async reloadHandoffs(): Promise<void> {
    const me = this.state.me;
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
      if (this.state.me !== me) return;
      const all = [...(queue.body?.handoffs ?? []), ...(mine.body?.handoffs ?? [])].filter(isHandoff);
      this.state.handoffs.replace(all, requestedAt);
      this.lists.render();
      if (this.state.view) this.renderControls();
    } catch (err) {
      this.reportError(err);
    }
  }

  private async reloadDrafts(): Promise<void> {
    const me = this.state.me;
    if (!me) return;
    const requestedAt = performance.now();
    try {
      const res = await this.api<{ drafts: Draft[] }>(
        'GET',
        shopPath(me.shopId, 'drafts') + '?status=pending',
      );
      if (this.state.me !== me) return;
      this.state.drafts.replace(res.body?.drafts ?? [], requestedAt);
      this.lists.renderDrafts();
    } catch (err) {
      this.reportError(err);
    }
  }

  private async reloadTickets(): Promise<void> {
    const me = this.state.me;
    if (!me) return;
    const requestedAt = performance.now();
    try {
      const res = await this.api<{ tickets: Ticket[] }>(
        'GET',
        shopPath(me.shopId, 'tickets') + '?status=open',
      );
      if (this.state.me !== me) return;
      this.state.tickets.replace(res.body?.tickets ?? [], requestedAt);
      this.lists.renderTickets();
    } catch (err) {
      this.reportError(err);
    }
  }

  private api<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T | undefined }> {
    if (!this.token) return Promise.reject(new ApiError(401, 'UNAUTHORIZED', this.i18n.t('signin.expired')));
    return callApi<T>(this.token, method, path, body);
  }

  // ---- the open conversation -----------------------------------------------------------------------

  private openConversation(conversationId: string, source: ViewSource): void {
    this.state.view = { conversationId, source, messages: new Map() };
    this.state.unread.delete(conversationId);
    this.conversation.clearInputs();
    this.side.showSuggestionsLoading();
    this.lists.renderMine();
    this.renderView();
    void this.reloadView();
    void this.side.loadSuggestions();
  }

  private closeView(): void {
    this.state.view = undefined;
    this.side.cancelSuggestions();
    this.lists.renderMine();
    this.renderView();
  }

  private async reloadView(): Promise<void> {
    const { state } = this;
    const view = state.view;
    const me = state.me;
    if (!view || !me) return;
    try {
      const res = await this.api<ConversationContext>(
        'GET',
        shopPath(me.shopId, 'conversations', view.conversationId, 'context'),
      );
      if (state.view !== view || !res.body) return; // another conversation was opened meanwhile
      view.context = res.body;
      const current = res.body.handoff;
      if (current && isHandoff(current)) state.handoffs.upsert(current, false);
      for (const m of res.body.transcript ?? []) {
        // A live copy may lack the NLU annotation the context has.
        view.messages.set(m.id, { ...view.messages.get(m.id), ...m });
      }
      const lastAsked = [...(res.body.transcript ?? [])].reverse().find((m) => m.role === 'user' && m.text);
      if (lastAsked) state.preview.set(view.conversationId, lastAsked.text);
      this.renderView();
      this.lists.render();
    } catch (err) {
      if (state.view === view) this.reportError(err);
    }
  }

  /** Everything in the middle and right columns, from the view's current state. */
  private renderView(): void {
    this.conversation.render();
    this.side.render();
    this.renderControls();
  }

  /** What the agent may do in the open conversation; it shows in every column. */
  private renderControls(): void {
    const { state } = this;
    if (!state.view) return;
    const h = state.viewHandoff();
    const mode = state.viewMode();
    this.side.renderControls(h, mode);
    this.conversation.renderControls(h, mode);
    this.lists.renderMine();
  }

  private reportError(err: unknown): void {
    if (this.handleAuthFailure(err)) return;
    this.notice.show(this.i18n.errorText(err));
  }
}

function boot(): void {
  const catalog = readCatalog();
  const wanted = (navigator.language || '').toLowerCase();
  const locale = wanted.startsWith('zh') ? 'zh-CN' : 'en-US';
  const strings = catalog[locale] ?? catalog['en-US'] ?? {};
  new Workspace(new I18n(locale, strings)).start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
