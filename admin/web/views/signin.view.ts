import { el } from '../dom';
import { type I18n, LOCALES, type UiLocale } from '../i18n';

/** The sign-in form: e-mail and password; the language can be switched before signing in. */
export class SigninView {
  readonly element: HTMLElement;
  private readonly email: HTMLInputElement;
  private readonly password: HTMLInputElement;
  private readonly submit: HTMLButtonElement;
  private readonly error: HTMLElement;

  constructor(
    i18n: I18n,
    onSubmit: (email: string, password: string) => void,
    onLocale: (locale: UiLocale) => void,
  ) {
    this.element = el('div', 'signin');
    const form = el('form', undefined, { novalidate: '', 'data-testid': 'signin-form' });
    const lang = el('select', 'lang', {
      'data-testid': 'admin-locale',
      'aria-label': i18n.t('header.language'),
    });
    for (const l of LOCALES) lang.append(el('option', undefined, { value: l }, i18n.t(`locale.${l}`)));
    lang.value = i18n.locale;
    lang.addEventListener('change', () => onLocale(lang.value as UiLocale));
    this.email = el('input', undefined, {
      id: 'signin-email',
      type: 'email',
      autocomplete: 'username',
      'data-testid': 'signin-email',
    });
    this.password = el('input', undefined, {
      id: 'signin-password',
      type: 'password',
      autocomplete: 'current-password',
      'data-testid': 'signin-password',
    });
    this.error = el('div', 'error', { role: 'alert', 'data-testid': 'signin-error' });
    this.submit = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'signin-submit' },
      i18n.t('signin.submit'),
    );
    form.append(
      lang,
      el('h1', undefined, {}, i18n.t('signin.title')),
      el('p', undefined, {}, i18n.t('signin.intro')),
      el('label', undefined, { for: 'signin-email' }, i18n.t('signin.email')),
      this.email,
      el('label', undefined, { for: 'signin-password' }, i18n.t('signin.password')),
      this.password,
      this.error,
      this.submit,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const email = this.email.value.trim();
      const password = this.password.value;
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) return this.fail(i18n.t('signin.bad-email'));
      if (!password) return this.fail(i18n.t('signin.no-password'));
      this.submit.disabled = true;
      this.error.textContent = '';
      onSubmit(email, password);
    });
    this.element.append(form);
  }

  fail(message: string): void {
    this.error.textContent = message;
    this.submit.disabled = false;
  }

  focus(): void {
    this.email.focus();
  }
}
