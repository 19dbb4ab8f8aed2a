import { isKefuError } from '../errors';
import { HANDOFF_EVENTS, HANDOFF_STATUSES, TRANSITIONS, nextStatus, sourcesOf } from './state-machine';

/** The table as the issue states it: none → pending → assigned → resolved, plus transferred and expired. */
const LEGAL: Record<string, string> = {
  'none request': 'pending',
  'pending assign': 'assigned',
  'pending resolve': 'resolved',
  'pending expire': 'expired',
  'assigned transfer': 'transferred',
  'assigned resolve': 'resolved',
  'transferred assign': 'assigned',
  'transferred resolve': 'resolved',
  'transferred expire': 'expired',
};

const every = HANDOFF_STATUSES.flatMap((from) => HANDOFF_EVENTS.map((event) => [from, event] as const));

describe('the handoff transition table', () => {
  test.each(every)('%s + %s', (from, event) => {
    const expected = LEGAL[`${from} ${event}`];
    if (expected) {
      expect(nextStatus(from, event)).toBe(expected);
      return;
    }
    let thrown: unknown;
    try {
      nextStatus(from, event);
    } catch (err) {
      thrown = err;
    }
    expect(isKefuError(thrown) && { code: thrown.code, status: thrown.status }).toEqual({
      code: 'ILLEGAL_TRANSITION',
      status: 409,
    });
  });

  test('the table has exactly the legal moves, and each event has one target (one conditional UPDATE)', () => {
    const listed = Object.entries(TRANSITIONS).flatMap(([from, moves]) =>
      Object.entries(moves).map(([event, to]) => `${from} ${event} ${to}`),
    );
    expect(listed.sort()).toEqual(
      Object.entries(LEGAL)
        .map(([k, v]) => `${k} ${v}`)
        .sort(),
    );
    for (const event of HANDOFF_EVENTS) {
      expect(new Set(sourcesOf(event).map((s) => TRANSITIONS[s][event])).size).toBe(1);
    }
  });

  test('resolved and expired are final', () => {
    expect(TRANSITIONS.resolved).toEqual({});
    expect(TRANSITIONS.expired).toEqual({});
  });
});
