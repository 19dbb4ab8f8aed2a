import type { ApiClient, NewEntry, Role, User } from './admin.api';
import type { I18n } from './i18n';

/** The pages of the admin, in menu order. */
export const ROUTES = [
  'dashboard',
  'knowledge',
  'publish',
  'console',
  'conversations',
  'settings',
  'users',
] as const;
export type Route = (typeof ROUTES)[number];

/** Who sees which page (the API refuses the rest anyway; the menu just does not offer it). */
const ALLOWED: Record<Route, readonly Role[]> = {
  dashboard: ['owner', 'editor'],
  knowledge: ['owner', 'editor'],
  publish: ['owner', 'editor'],
  console: ['owner', 'editor'],
  conversations: ['owner', 'editor', 'agent'],
  settings: ['owner', 'editor'],
  users: ['owner'],
};

export function mayOpen(role: Role, route: Route): boolean {
  return ALLOWED[route].includes(role);
}

export function routesFor(role: Role): Route[] {
  return ROUTES.filter((r) => mayOpen(role, r));
}

/** What a page may be opened with: the knowledge page with an entry to create. */
export interface RouteArgs {
  newEntry?: NewEntry;
}

/** What every view gets: the words, the API, the signed-in user, and the page's services. */
export interface AdminContext {
  readonly i18n: I18n;
  readonly api: ApiClient;
  readonly user: User;
  /** A short notice at the bottom of the page (an error is the API's own message). */
  notify(text: string, kind?: 'error' | 'info'): void;
  reportError(err: unknown): void;
  navigate(route: Route, args?: RouteArgs): void;
}

/** A page: its element, what to do once it is in the document, and what to stop when it is left. */
export interface View {
  readonly element: HTMLElement;
  attached?(): void;
  dispose?(): void;
}
