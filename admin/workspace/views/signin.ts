import { el } from '../dom';
import type { I18n } from '../i18n';

/** The sign-in form: the agent pastes their token. */
export class SigninForm {
  readonly element: HTMLElement;
  private readonly tokenInput: HTMLInputElement;
  private readonly submit: HTMLButtonElement;
  private readonly error: HTMLElement;

  constructor(i18n: I18n, onSubmit: (token: string) => void) {
    this.element = el('main', 'signin', { hidden: '' });
    const form = el('form', undefined, { novalidate: '' });
    const title = el('h1', undefined, {}, i18n.t('signin.title'));
    const intro = el('p', undefined, {}, i18n.t('signin.intro'));
    const label = el('label', undefined, { for: 'ws-token' }, i18n.t('signin.token'));
    this.tokenInput = el('input', undefined, {
      id: 'ws-token',
      type: 'password',
      autocomplete: 'current-password',
      spellcheck: 'false',
      'data-testid': 'ws-token',
    });
    this.error = el('div', 'error', { role: 'alert', 'data-testid': 'ws-signin-error' });
    this.submit = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'ws-signin' },
      i18n.t('signin.submit'),
    );
    form.append(title, intro, label, this.tokenInput, this.error, this.submit);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const token = this.tokenInput.value.trim();
      if (token) onSubmit(token);
    });
    this.element.append(form);
  }

  show(error?: string): void {
    this.element.hidden = false;
    this.error.textContent = error ?? '';
    this.submit.disabled = false;
    this.tokenInput.focus();
  }

  /** A sign-in is on its way. */
  busy(): void {
    this.submit.disabled = true;
    this.error.textContent = '';
  }

  /** Signed in: the form goes away, and the token with it. */
  hide(): void {
    this.tokenInput.value = '';
    this.element.hidden = true;
  }
}
