import type { AgentTier } from '../store/handoffs.repo';
import type { Agent } from '../store/agents.repo';
import type { ShopSettings } from '../settings';

/** The shop's `handoff` settings with their defaults (bot/settings.ts validates them). */
export interface HandoffPolicy {
  /** A turn the bot understood less well than this counts as a low-confidence turn. */
  confidenceThreshold: number;
  /** This many low-confidence turns in a row bring a person in (0: never). */
  lowConfidenceTurns: number;
  /** An anger score (0–1, from the NLU's sentiment) at or above this brings a person in. */
  angerThreshold: number;
  /** Verified customers of this trust tier or above go straight to a person. */
  vipMinTier?: number;
  vipTier: AgentTier;
  /** Assign queued handoffs to online agents without waiting for them to take one. */
  autoAssign: boolean;
  /** A handoff nobody took within this many minutes expires and becomes a ticket. */
  expireMinutes: number;
}

export const DEFAULT_POLICY: HandoffPolicy = {
  confidenceThreshold: 0.5,
  lowConfidenceTurns: 3,
  angerThreshold: 0.8,
  vipTier: 'L2',
  autoAssign: false,
  expireMinutes: 60,
};

export function handoffPolicy(settings: ShopSettings): HandoffPolicy {
  const h = settings.handoff ?? {};
  // A setting cleared with null falls back to its default.
  const set = Object.fromEntries(Object.entries(h).filter(([, v]) => v !== null && v !== undefined));
  return { ...DEFAULT_POLICY, ...set };
}

export const TIERS: readonly AgentTier[] = ['L1', 'L2', 'expert'];
export const tierRank = (tier: string): number => TIERS.indexOf(tier as AgentTier);

const language = (locale: string) => locale.slice(0, 2).toLowerCase();

/** An agent takes work at their own tier or below, in a language they speak. */
export function canServe(
  agent: Pick<Agent, 'tier' | 'languages'>,
  h: { tier: string; locale: string },
): boolean {
  return (
    tierRank(agent.tier) >= tierRank(h.tier) &&
    agent.languages.some((l) => language(l) === language(h.locale))
  );
}

/** Seen within this long and marked online: the agent is in the workspace. */
export const PRESENCE_MS = 5 * 60 * 1000;

export function isOnline(agent: Pick<Agent, 'status' | 'lastSeenAt'>, now: Date): boolean {
  return (
    agent.status === 'online' &&
    !!agent.lastSeenAt &&
    now.getTime() - Date.parse(agent.lastSeenAt) <= PRESENCE_MS
  );
}

export interface BusinessHours {
  timezone?: string;
  /** 0 = Sunday … 6 = Saturday. */
  days?: number[];
  open?: string;
  close?: string;
}

/** Whether the shop's people are at work at `now` (no business hours configured: always). */
export function withinBusinessHours(hours: BusinessHours | undefined, now: Date): boolean {
  if (!hours || (!hours.open && !hours.close && !hours.days)) return true;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: hours.timezone ?? 'Asia/Shanghai',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  const minute = Number(get('hour')) * 60 + Number(get('minute'));
  const toMinutes = (t: string | undefined, fallback: number) =>
    t ? Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5)) : fallback;
  const open = toMinutes(hours.open, 0);
  const close = toMinutes(hours.close, 24 * 60);
  // Hours past midnight (20:00–02:00) belong to the day they started on.
  const overnight = close <= open;
  const startDay = overnight && minute < close ? (day + 6) % 7 : day;
  if (hours.days && !hours.days.includes(startDay)) return false;
  return overnight ? minute >= open || minute < close : minute >= open && minute < close;
}
