import { fetchApi } from '../browser/api';
/**
 * The merchant API as the admin page sees it: the wire shapes, and one fetch wrapper that sends the
 * session cookie with every call and the CSRF token with every change, and turns every failure into
 * an ApiError carrying the server's `{ error: { code, message } }`.
 */

export type Role = 'owner' | 'editor' | 'agent';

export interface User {
  id: string;
  shopId: string;
  email: string;
  name: string;
  role: Role;
}

export interface SessionInfo {
  user: User;
  csrfToken: string;
}

export interface KnowledgeEntry {
  id: string;
  locale: string;
  question: string;
  similar: string[];
  answer: string;
  updatedAt?: string;
}

export interface NewEntry {
  id?: string;
  locale: string;
  question: string;
  similar: string[];
  answer: string;
}

export interface ImportRow {
  row: number;
  entry?: Partial<NewEntry>;
  errors: { column: string; message: string }[];
}

export interface ImportResult {
  rows: ImportRow[];
  valid: number;
  invalid: number;
  upserted?: number;
}

export interface Job {
  id: string;
  type: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  error?: string;
}

export interface Choice {
  title: string;
  payload?: string;
}

export interface Card {
  title: string;
  subtitle?: string;
  fields?: { label: string; value: string }[];
  buttons?: Choice[];
}

export interface Reply {
  text: string;
  quickReplies?: Choice[];
  card?: Card;
}

export interface ConsoleDebug {
  intent: string | null;
  confidence: number | null;
  entities: { type: string; value: unknown }[];
  skill: string | null;
  outcome: string | null;
  unresolved: boolean;
  knowledge: { id: string; question: string | null; score: number }[];
}

export interface ConsoleTurn {
  sessionId: string;
  conversationId: string;
  replies: Reply[];
  handoff: string;
  debug: ConsoleDebug;
}

export interface ConversationSummary {
  id: string;
  userId: string;
  verified: boolean;
  channel: string;
  locale: string | null;
  status: string;
  createdAt: string;
  lastActivityAt: string;
  messageCount: number;
  firstText: string | null;
  handoff: null | { status: string; reason: string; tier: string };
  unresolvedTurns: number;
}

export interface TranscriptMessage {
  id: string;
  role: 'user' | 'bot' | 'agent';
  text: string;
  payload?: string;
  quickReplies?: Choice[];
  card?: Card;
  createdAt: string;
  nlu?: {
    intent?: string;
    confidence?: number;
    entities?: { type: string; value: unknown }[];
    route?: { skill: string; outcome: string; unresolved: boolean };
    knowledge?: { id: string; score: number }[];
  };
  agentId?: string;
}

export interface Transcript {
  conversation: ConversationSummary;
  messages: TranscriptMessage[];
  handoffs: {
    id: string;
    status: string;
    reason: string;
    tier: string;
    assignedTo: string | null;
    createdAt: string;
    closedAt: string | null;
  }[];
}

export interface Unanswered {
  text: string;
  count: number;
  examples: string[];
  reasons?: Record<string, number>;
  suggestedEntry?: { id: string; question: string; score: number };
}

export interface Analytics {
  from: string;
  to: string;
  timezone?: string;
  conversations: number;
  userMessages?: number;
  selfServiceRate: number;
  handoffRate: number;
  fallbackRate: number;
  satisfaction: number | null;
  satisfactionResponses?: number;
  byDay: { day: string; conversations: number; handoffs?: number; fallbacks?: number }[];
  byChannel: Record<string, number>;
  topIntents: { intent: string; count: number }[];
  unanswered: Unanswered[];
}

export interface ConnectionTest {
  ok: boolean;
  latencyMs: number;
  status?: number;
  message: string;
}

export { ApiError } from '../browser/api';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

const REQUEST_TIMEOUT_MS = 30_000;

/** Calls the API with the session cookie; the CSRF token (kept in memory only) goes with changes. */
export class ApiClient {
  csrfToken?: string;

  /** `language()` is the page's language: the API writes its messages (row errors, tests) in it. */
  constructor(private readonly language: () => string) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  send<T>(method: Exclude<Method, 'GET'>, path: string, body?: unknown): Promise<T> {
    return this.call<T>(method, path, body === undefined ? undefined : { json: body });
  }

  /** Sends a file as the raw request body (the knowledge import). */
  upload<T>(path: string, file: Blob, contentType: string): Promise<T> {
    return this.call<T>('POST', path, { raw: file, contentType });
  }

  private async call<T>(
    method: Method,
    path: string,
    body?: { json: unknown } | { raw: Blob; contentType: string },
  ): Promise<T> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Accept-Language': this.language(),
    };
    if (method !== 'GET' && this.csrfToken) headers['X-CSRF-Token'] = this.csrfToken;
    let payload: BodyInit | undefined;
    if (body && 'json' in body) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['Content-Type'] = body.contentType;
      payload = body.raw;
    }
    const { body: parsed } = await fetchApi<T>(
      path,
      { method, headers, body: payload, credentials: 'same-origin' },
      REQUEST_TIMEOUT_MS,
    );
    return parsed as T;
  }
}

/** Builds `/api/v1/shops/:shopId/...` with every dynamic segment encoded, and an optional query. */
export function shopPath(
  shopId: string,
  segments: string[],
  query: Record<string, string | number | undefined> = {},
): string {
  const base = ['/api/v1/shops', shopId, ...segments]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s)))
    .join('/');
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${base}?${qs}` : base;
}
