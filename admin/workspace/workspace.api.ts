import { fetchApi } from '../browser/api';
/**
 * The agent API as the workspace page sees it: the wire shapes and one fetch wrapper that turns
 * every failure into an ApiError carrying the server's `{ error: { code, message } }`.
 */

export type Tier = 'L1' | 'L2' | 'expert';
export type HandoffStatus = 'pending' | 'assigned' | 'transferred' | 'resolved' | 'expired';

export interface Agent {
  id: string;
  shopId: string;
  name: string;
  tier: Tier;
  languages: string[];
  maxConcurrent: number;
  status: string;
}

export interface HandoffNote {
  at: string;
  agentId: string | null;
  fromTier: Tier;
  toTier: Tier;
  note: string;
}

export interface Handoff {
  id: string;
  conversationId: string;
  userId: string;
  status: HandoffStatus;
  reason: string;
  tier: Tier;
  locale: string;
  createdAt: string;
  updatedAt: string;
  assignedTo: string | null;
  position?: number;
  notes: HandoffNote[];
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

export interface Nlu {
  intent: string;
  confidence: number;
  entities?: { type: string; value: string }[];
}

export interface ChatMessage {
  id: string;
  role: 'user' | 'bot' | 'agent';
  text: string;
  createdAt: string;
  quickReplies?: Choice[];
  card?: Card;
  nlu?: Nlu;
}

export interface Draft {
  id: string;
  conversationId: string;
  status: 'pending' | 'sent' | 'discarded';
  question: string | null;
  replies: { text: string; quickReplies?: Choice[] }[];
  createdAt: string;
}

export interface Ticket {
  id: string;
  conversationId: string;
  userId: string;
  handoffId: string | null;
  reason: string;
  message: string | null;
  status: 'open' | 'closed';
  createdAt: string;
}

export interface Order {
  id: string;
  status: string;
  total: number;
  currency: string;
  createdAt: string;
  items: { name: string; quantity: number }[];
}

export interface ConversationContext {
  conversation: {
    id: string;
    userId: string;
    channel: string;
    verified: boolean;
    locale: string | null;
    status: string;
  };
  handoff: Handoff | null;
  reason: string | null;
  profile: { userId: string; verified: boolean; name?: string; tier?: number } | null;
  recentOrders: Order[];
  summary: string;
  transcript: ChatMessage[];
}

export interface Suggestion {
  text: string;
  source: 'knowledge' | 'agent';
  score: number;
}

export { ApiError } from '../browser/api';

const REQUEST_TIMEOUT_MS = 15_000;

/** Calls the API with the agent's token. Resolves `{ status, body }` for 2xx, rejects with ApiError. */
export async function callApi<T>(
  token: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T | undefined }> {
  return fetchApi<T>(
    path,
    {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/json',
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      credentials: 'omit',
    },
    REQUEST_TIMEOUT_MS,
  );
}

/** Builds `/api/v1/shops/:shopId/...` with every dynamic segment encoded. */
export function shopPath(shopId: string, ...segments: string[]): string {
  return ['/api/v1/shops', shopId, ...segments]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s)))
    .join('/');
}
