import { KefuError } from '../errors';

/**
 * The handoff's life, in one table. `none` is a conversation without a request; `transferred`
 * waits in the queue again, for an agent of the new tier. `resolved` and `expired` are final.
 */
export const HANDOFF_STATUSES = [
  'none',
  'pending',
  'assigned',
  'transferred',
  'resolved',
  'expired',
] as const;
export type HandoffState = (typeof HANDOFF_STATUSES)[number];
export type HandoffStatus = Exclude<HandoffState, 'none'>;

export const HANDOFF_EVENTS = ['request', 'assign', 'transfer', 'resolve', 'expire'] as const;
export type HandoffEvent = (typeof HANDOFF_EVENTS)[number];

export const TRANSITIONS: Readonly<Record<HandoffState, Partial<Record<HandoffEvent, HandoffStatus>>>> = {
  none: { request: 'pending' },
  // Waiting: an agent takes it, the customer withdraws or an agent closes it, or it times out.
  pending: { assign: 'assigned', resolve: 'resolved', expire: 'expired' },
  assigned: { transfer: 'transferred', resolve: 'resolved' },
  transferred: { assign: 'assigned', resolve: 'resolved', expire: 'expired' },
  resolved: {},
  expired: {},
};

/** Statuses in which a handoff waits for an agent. */
export const QUEUED: readonly HandoffStatus[] = ['pending', 'transferred'];
/** Statuses of an open handoff (at most one per conversation). */
export const OPEN: readonly HandoffStatus[] = ['pending', 'assigned', 'transferred'];

/** The status `event` leads to from `from`; an illegal move is a 409, never a silent no-op. */
export function nextStatus(from: HandoffState, event: HandoffEvent): HandoffStatus {
  const to = TRANSITIONS[from][event];
  if (!to) {
    throw new KefuError(
      'ILLEGAL_TRANSITION',
      `A handoff that is ${from} cannot be ${pastTense(event)}.`,
      409,
    );
  }
  return to;
}

/** The statuses from which `event` is legal (the WHERE of an atomic update). */
export function sourcesOf(event: HandoffEvent): HandoffState[] {
  return HANDOFF_STATUSES.filter((s) => TRANSITIONS[s][event] !== undefined);
}

function pastTense(event: HandoffEvent): string {
  return {
    request: 'requested',
    assign: 'assigned',
    transfer: 'transferred',
    resolve: 'resolved',
    expire: 'expired',
  }[event];
}
