import { button, el } from '../dom';
import type { I18n } from '../i18n';
import type { ConnectionState } from '../stream';
import type { Agent } from '../workspace.api';

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
