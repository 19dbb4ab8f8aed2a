import { button, el } from '../dom';
import type { I18n } from '../i18n';
import type { ConnectionState } from '../stream';
import type { Agent } from '../workspace.api';

const NOTICE_MS = 8_000;

/** The bar across the top: the page title, who is signed in, the stream's state, sign-out. */
export class TopBar {
  readonly element: HTMLElement;
  private readonly agentLabel: HTMLElement;
  private readonly connection: HTMLElement;

  constructor(
    private readonly i18n: I18n,
    onSignOut: () => void,
  ) {
    this.element = el('header', 'topbar');
    const title = el('h1', undefined, {}, i18n.t('title'));
    this.agentLabel = el('span', 'agent', { 'data-testid': 'ws-agent' });
    this.connection = el('span', 'conn', { 'data-testid': 'ws-connection', role: 'status' });
    const signout = button(i18n.t('header.signout'), 'ws-signout');
    signout.addEventListener('click', onSignOut);
    this.element.append(title, this.agentLabel, this.connection, signout);
  }

  renderAgent(me: Agent | undefined): void {
    this.agentLabel.textContent = me ? `${me.name} · ${this.i18n.label('tier', me.tier)}` : '';
  }

  setConnection(state: ConnectionState): void {
    this.connection.dataset.state = state;
    this.connection.textContent = this.i18n.t(`conn.${state}`);
  }
}

/** The one notice at a time (an error, or news such as "draft sent"), gone after a while. */
export class Notice {
  readonly element: HTMLElement;
  private readonly text: HTMLElement;
  private timer?: number;

  constructor() {
    this.element = el('div', 'notice', { role: 'alert', hidden: '' });
    // The test id is on the text alone, so it reads exactly the API's message.
    this.text = el('span', undefined, { 'data-testid': 'ws-notice' });
    const dismiss = el('button', undefined, { type: 'button', 'aria-label': '×' }, '×');
    dismiss.addEventListener('click', () => this.hide());
    this.element.append(this.text, dismiss);
  }

  show(text: string, kind: 'error' | 'info' = 'error'): void {
    this.text.textContent = text;
    this.element.dataset.kind = kind;
    this.text.dataset.kind = kind;
    this.element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    this.element.hidden = false;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.hide(), NOTICE_MS);
  }

  hide(): void {
    window.clearTimeout(this.timer);
    this.element.hidden = true;
  }
}
