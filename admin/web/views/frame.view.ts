import type { User } from '../admin.api';
import { button, el } from '../dom';
import { type I18n, LOCALES, type UiLocale } from '../i18n';
import type { Route } from '../state';

export interface FrameHost {
  onSignOut(): void;
  onLocale(locale: UiLocale): void;
}

/**
 * The page around the views: the menu (a sidebar on a laptop, a bar across the top on a phone),
 * who is signed in, the language switch and sign-out.
 */
export class Frame {
  readonly element: HTMLElement;
  readonly main: HTMLElement;
  private readonly links = new Map<Route, HTMLAnchorElement>();

  constructor(i18n: I18n, user: User, routes: Route[], host: FrameHost) {
    this.element = el('div', 'app', { 'data-testid': 'admin-app' });
    const nav = el('nav', 'menu', { 'aria-label': i18n.t('nav.label') });
    const brand = el('div', 'brand', {}, i18n.t('title'));
    const list = el('ul');
    for (const route of routes) {
      const link = el(
        'a',
        undefined,
        { href: `#/${route}`, 'data-testid': `nav-${route}` },
        i18n.t(`nav.${route}`),
      );
      this.links.set(route, link);
      const item = el('li');
      item.append(link);
      list.append(item);
    }
    nav.append(brand, list);

    const header = el('header', 'topbar');
    const who = el(
      'span',
      'who',
      { 'data-testid': 'admin-user' },
      `${user.name} · ${i18n.t(`role.${user.role}`)}`,
    );
    const shop = el('span', 'shop', {}, user.shopId);
    const lang = el('select', 'lang', {
      'data-testid': 'admin-locale',
      'aria-label': i18n.t('header.language'),
    });
    for (const l of LOCALES) lang.append(el('option', undefined, { value: l }, i18n.t(`locale.${l}`)));
    lang.value = i18n.locale;
    lang.addEventListener('change', () => host.onLocale(lang.value as UiLocale));
    const signout = button(i18n.t('header.signout'), 'admin-signout');
    signout.addEventListener('click', () => host.onSignOut());
    header.append(shop, el('span', 'spacer'), who, lang, signout);

    this.main = el('main', 'content', { 'data-testid': 'admin-content' });
    const body = el('div', 'body');
    body.append(header, this.main);
    this.element.append(nav, body);
  }

  setActive(route: Route): void {
    for (const [r, link] of this.links) {
      if (r === route) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }
}
