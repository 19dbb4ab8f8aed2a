import { ApiClient, ApiError, type SessionInfo, type User } from './admin.api';
import { adminStyles } from './admin.styles';
import { adoptStyles, el } from './dom';
import { I18n, type UiLocale, readCatalog } from './i18n';
import {
  type AdminContext,
  type Route,
  type RouteArgs,
  ROUTES,
  type View,
  mayOpen,
  routesFor,
} from './state';
import { ConsoleView } from './views/console.view';
import { ConversationsView } from './views/conversations.view';
import { DashboardView } from './views/dashboard.view';
import { Frame } from './views/frame.view';
import { Notice } from '../browser/notice';
import { KnowledgeView } from './views/knowledge.view';
import { PublishView } from './views/publish.view';
import { SettingsView } from './views/settings.view';
import { SigninView } from './views/signin.view';
import { UsersView } from './views/users.view';

/**
 * The merchant admin (`/admin`): sign in with e-mail and password, then one page at a time from the
 * menu (the role decides which pages are offered). The session is an HttpOnly cookie; the CSRF
 * token lives in memory only. Every piece of text from the server goes in with textContent.
 */
class AdminApp {
  private readonly api: ApiClient;
  private readonly notice = new Notice('admin-notice');
  private readonly root = el('div', 'root');
  private user?: User;
  private frame?: Frame;
  private view?: View;
  private pendingArgs?: RouteArgs;

  constructor(private readonly i18n: I18n) {
    this.api = new ApiClient(() => i18n.locale);
  }

  async start(): Promise<void> {
    adoptStyles(adminStyles);
    document.body.append(this.root, this.notice.element);
    window.addEventListener('hashchange', () => this.route());
    this.applyLocale();
    try {
      this.signedIn(await this.api.get<SessionInfo>('/api/v1/auth/session'));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) this.notice.show(this.i18n.errorText(err));
      this.showSignin();
    }
  }

  private applyLocale(): void {
    document.documentElement.lang = this.i18n.locale;
    document.title = this.i18n.t('title');
  }

  private showSignin(): void {
    this.disposeView();
    this.frame = undefined;
    this.user = undefined;
    this.api.csrfToken = undefined;
    const signin = new SigninView(
      this.i18n,
      (email, password) => void this.signIn(signin, email, password),
      (locale) => {
        this.i18n.setLocale(locale);
        this.applyLocale();
        this.showSignin();
      },
    );
    this.root.replaceChildren(signin.element);
    signin.focus();
  }

  private async signIn(form: SigninView, email: string, password: string): Promise<void> {
    try {
      this.signedIn(await this.api.send<SessionInfo>('POST', '/api/v1/auth/sign-in', { email, password }));
    } catch (err) {
      form.fail(this.i18n.errorText(err, 'signin.failed'));
    }
  }

  private signedIn(session: SessionInfo): void {
    this.api.csrfToken = session.csrfToken;
    this.user = session.user;
    this.buildFrame();
  }

  private buildFrame(): void {
    const user = this.user;
    if (!user) return;
    this.disposeView();
    this.frame = new Frame(this.i18n, user, routesFor(user.role), {
      onSignOut: () => void this.signOut(),
      onLocale: (locale) => this.switchLocale(locale),
    });
    this.root.replaceChildren(this.frame.element);
    this.route();
  }

  private switchLocale(locale: UiLocale): void {
    this.i18n.setLocale(locale);
    this.applyLocale();
    this.buildFrame();
  }

  private async signOut(): Promise<void> {
    try {
      await this.api.send('POST', '/api/v1/auth/sign-out');
    } catch (err) {
      // The cookie is gone (or was): the form is shown either way.
      if (!(err instanceof ApiError && err.status === 401)) this.notice.show(this.i18n.errorText(err));
    }
    this.showSignin();
  }

  private currentRoute(): Route | undefined {
    const name = window.location.hash.replace(/^#\/?/, '').split('?')[0];
    return ROUTES.find((r) => r === name);
  }

  private route(): void {
    const user = this.user;
    const frame = this.frame;
    if (!user || !frame) return;
    let route = this.currentRoute();
    if (!route || !mayOpen(user.role, route)) {
      route = routesFor(user.role)[0] ?? 'conversations';
      if (window.location.hash !== `#/${route}`) {
        window.location.replace(`#/${route}`);
        return;
      }
    }
    const args = this.pendingArgs ?? {};
    this.pendingArgs = undefined;
    this.disposeView();
    const ctx = this.context(user);
    this.view = createView(route, ctx, args);
    frame.setActive(route);
    frame.main.replaceChildren(this.view.element);
    frame.main.scrollTop = 0;
    this.view.attached?.();
  }

  private context(user: User): AdminContext {
    return {
      i18n: this.i18n,
      api: this.api,
      user,
      notify: (text, kind) => this.notice.show(text, kind),
      reportError: (err) => {
        if (err instanceof ApiError && err.status === 401) {
          this.showSignin();
          this.notice.show(this.i18n.t('error.signed-out'));
          return;
        }
        this.notice.show(this.i18n.errorText(err));
      },
      navigate: (route, args) => {
        this.pendingArgs = args;
        if (window.location.hash === `#/${route}`) this.route();
        else window.location.hash = `#/${route}`;
      },
    };
  }

  private disposeView(): void {
    this.view?.dispose?.();
    this.view = undefined;
  }
}

function createView(route: Route, ctx: AdminContext, args: RouteArgs): View {
  switch (route) {
    case 'dashboard':
      return new DashboardView(ctx);
    case 'knowledge':
      return new KnowledgeView(ctx, args);
    case 'publish':
      return new PublishView(ctx);
    case 'console':
      return new ConsoleView(ctx);
    case 'conversations':
      return new ConversationsView(ctx);
    case 'settings':
      return new SettingsView(ctx);
    case 'users':
      return new UsersView(ctx);
  }
}

void new AdminApp(new I18n(readCatalog())).start();
