import type { QuickReply } from '../../bot/activity';
import { loadCatalog } from '../../bot/i18n';
import type { Outcome, Skill, TurnContext } from '../../bot/skill';
import {
  type TicketOption,
  type TicketSearch,
  type TicketType,
  ticketTypeSchema,
} from '../../commerce/commerce';
import {
  MAX_ATTEMPTS,
  backendFor,
  callBackend,
  commonText,
  confirmButtons,
  confirmation,
  humanButton,
  idempotencyKey,
  pickOrdinal,
  requireVerified,
} from '../common/common';
import type { SkillDeps } from '../skill-deps';
import { shopTimeZone } from '../../bot/settings';
import { addDays, arrivalTime, clockTime, dayOf, formatDay, formatYuan } from './ticket-format';
import {
  MAX_PASSENGERS,
  type Place,
  cityMentions,
  dateIn,
  optionNamed,
  passengersIn,
  ticketTypeIn,
} from './ticket-slots';

/**
 * ticket.book: flight or train; from, to, date and passengers from one sentence or several turns,
 * in any order and correctable at any time; search; options as quick replies and a card; pick;
 * confirm; book (idempotent). Verified customers only: the booking is made for the customer the
 * shop vouches for, and asking to log in before collecting the trip spares them retyping it.
 */

/** Options shown at once (quick replies stay readable). */
const MAX_OPTIONS = 5;

type Step = 'type' | 'route' | 'from' | 'to' | 'date' | 'passengers' | 'pick' | 'confirm' | 'change';

/** The task's slots: plain data, saved with the dialogue state. */
interface TicketSlots {
  type?: TicketType;
  from?: Place;
  to?: Place;
  date?: string;
  /** 1 unless the customer says otherwise; shown in the confirmation so they can correct it. */
  passengers: number;
  /** The bot asked how many (an out-of-range count, or "change passengers" clicked). */
  askPassengers?: boolean;
  /** When in the day they would like to leave ("明天上午", "tomorrow evening", "8点左右"): shown first. */
  timeOfDay?: string;
  time?: string;
  /** The options of the last search (for `date`, `type`, `from`, `to` as they are now). */
  options?: TicketOption[];
  optionId?: string;
}

/** What one message changed. */
interface Heard {
  /** type, from, to or date changed: the options shown are stale. */
  search: boolean;
  picked?: TicketOption;
  /** Anything understood at all (a refused past date counts: the customer answered). */
  any: boolean;
  /** A correction that changes nothing ("make it Saturday" when it already is): show the list again. */
  again?: boolean;
}

const slotsOf = (turn: TurnContext) => turn.task.slots as unknown as TicketSlots;

export function createTicketSkill(deps: SkillDeps): Skill {
  return {
    id: 'ticket.book',
    intents: ['ticket.book'],
    messages: loadCatalog(__dirname),
    satisfaction: true,

    async begin(turn) {
      if (!requireVerified(turn)) return { status: 'done', unresolved: true };
      turn.task.slots = { passengers: 1 };
      hear(turn);
      carryOver(turn);
      return next(turn, deps, true);
    },

    async continue(turn) {
      const s = slotsOf(turn);
      if (turn.choice === 'confirm') {
        // An old confirmation clicked after the trip changed books nothing.
        if (turn.task.step === 'confirm' && s.optionId) return book(turn, deps);
        turn.reply({ text: turn.t('confirm.stale') });
        return next(turn, deps, true);
      }
      if (turn.choice === 'cancel') return decline(turn);
      if (turn.choice === 'passengers') {
        s.askPassengers = true;
        return next(turn, deps, false);
      }

      const heard = hear(turn);
      if (heard.search) {
        s.options = undefined;
        s.optionId = undefined;
      } else if (heard.picked) {
        s.optionId = heard.picked.id;
      }
      if (heard.any) {
        turn.task.attempts = 0;
        return next(turn, deps, heard.search || !!heard.picked || !!heard.again);
      }
      if (turn.task.step === 'confirm') {
        const answer = confirmation(turn);
        if (answer === 'yes' && s.optionId) return book(turn, deps);
        if (answer === 'no') return decline(turn);
      }
      return misunderstood(turn, deps);
    },

    async resume(turn) {
      return next(turn, deps, true);
    },
  };
}

/** The trip last booked in this conversation (conversation memory), for "再订一张回程". */
interface LastTrip {
  type?: TicketType;
  from?: Place;
  to?: Place;
}

const REFERS_BACK = /再|返程|回程|回(?!复|答|头)|一样|同样|\b(?:return|back|same|another|again)\b/i;

/**
 * A new booking that refers to the last one ("再订一张后天回北京的", "book the return trip") takes
 * what it leaves out from it: the type, and for a way back the cities swapped. The confirmation
 * shows everything, so a wrong guess is seen before anything is booked.
 */
function carryOver(turn: TurnContext): void {
  const last = turn.memory.lastTrip as LastTrip | undefined;
  if (!last || !REFERS_BACK.test(turn.text)) return;
  const s = slotsOf(turn);
  s.type ??= last.type;
  if (!s.from && !s.to) {
    s.from = last.to;
    s.to = last.from;
  } else if (!s.from && s.to?.key === last.from?.key) {
    s.from = last.to;
  }
}

function today(turn: TurnContext): string {
  return dayOf(turn.now, shopTimeZone(turn.settings));
}

/** Reads the message (and a quick reply of this task) into the slots. */
function hear(turn: TurnContext): Heard {
  const s = slotsOf(turn);
  const step = turn.task.step as Step;
  const { text, nlu } = turn;
  const heard: Heard = { search: false, any: false };
  const [kind, value] = splitChoice(turn.choice);

  const type = kind === 'type' ? ticketTypeSchema.safeParse(value).data : ticketTypeIn(text);
  if (type) {
    heard.any = true;
    if (type !== s.type) {
      s.type = type;
      heard.search = true;
    }
  }

  const mentions = cityMentions(text, nlu.entities);
  const setCity = (slot: 'from' | 'to', place: Place) => {
    heard.any = true;
    if (s[slot]?.key === place.key) return;
    s[slot] = place;
    heard.search = true;
  };
  for (const m of mentions) if (m.role) setCity(m.role, m.place);
  const bare = mentions.filter((m) => !m.role).map((m) => m.place);
  if (bare.length === 1) {
    const place = bare[0]!;
    // A city alone answers the question asked ("从哪里出发，要去哪里？" → the first half); otherwise it
    // is where they are going, unless it is already part of the trip ("北京" again changes nothing).
    if (step === 'from' || step === 'route') setCity('from', place);
    else if (step === 'to') setCity('to', place);
    else if (s.from?.key === place.key || s.to?.key === place.key) heard.any = true;
    else if (!s.to) setCity('to', place);
    else if (!s.from) setCity('from', place);
    else setCity('to', place);
  }

  const date =
    kind === 'date' ? (/^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined) : dateIn(nlu.entities);
  if (date) {
    heard.any = true;
    if (date < today(turn)) {
      turn.reply({ text: turn.t('date.past', { date: formatDay(date, turn.locale, today(turn)) }) });
    } else if (date !== s.date) {
      s.date = date;
      heard.search = true;
    } else if (kind !== 'date' && s.options) {
      // Say so, rather than only re-asking: the customer may think the change was not understood.
      turn.reply({ text: turn.t('date.same', { date: formatDay(date, turn.locale, today(turn)) }) });
      heard.again = true;
    }
  }

  // A time while choosing names an option ("8点那班"); otherwise it says when they would like to go.
  const choosing = step === 'pick' || step === 'confirm';
  const timeEntity = nlu.entities.find((e) => e.type === 'time')?.value;
  const timeOfDay = nlu.entities.find((e) => e.type === 'timeOfDay')?.value;
  if (!(choosing && timeEntity) && (timeOfDay || timeEntity)) {
    heard.any = true;
    if (timeOfDay !== s.timeOfDay || timeEntity !== s.time) {
      s.timeOfDay = timeOfDay;
      s.time = timeEntity;
      heard.search = true;
    }
  }

  const passengers = passengersIn(text, nlu.entities, step === 'passengers');
  if (passengers !== undefined) {
    heard.any = true;
    if (passengers < 1 || passengers > MAX_PASSENGERS) {
      turn.reply({ text: turn.t('passengers.range', { max: MAX_PASSENGERS }) });
      s.askPassengers = true;
    } else {
      s.askPassengers = false;
      if (passengers !== s.passengers) {
        s.passengers = passengers;
        // Said while choosing: the list stays, the new count is acknowledged.
        if (step === 'pick') {
          turn.reply({ text: turn.t('passengers.set', { passengers: passengerText(turn, passengers) }) });
        }
      }
    }
  }

  if (!heard.search && s.options && (step === 'pick' || step === 'confirm')) {
    const picked =
      kind === 'opt'
        ? s.options.find((o) => o.id === value)
        : (s.options[pickOrdinal(text, s.options.length) ?? -1] ??
          optionNamed(text, nlu.entities, s.options, (iso) => clockTime(iso, shopTimeZone(turn.settings))));
    if (picked) {
      heard.any = true;
      if (picked.id !== s.optionId) heard.picked = picked;
    } else if (kind === 'opt') {
      heard.any = true;
      turn.reply({ text: turn.t('options.stale') });
    }
  }
  return heard;
}

function splitChoice(choice: string | undefined): [string | undefined, string] {
  if (!choice) return [undefined, ''];
  const at = choice.indexOf(':');
  return at < 0 ? [choice, ''] : [choice.slice(0, at), choice.slice(at + 1)];
}

/** Asks for the first thing missing, or searches, lists, confirms. `fresh`: show the whole list again. */
async function next(turn: TurnContext, deps: SkillDeps, fresh: boolean): Promise<Outcome> {
  const s = slotsOf(turn);
  if (!s.type) return ask(turn, 'type');
  if (!s.from && !s.to) return ask(turn, 'route');
  if (!s.to) return ask(turn, 'to');
  if (!s.from) return ask(turn, 'from');
  if (s.from.key === s.to.key) {
    turn.reply({ text: turn.t('city.same', { city: cityName(turn, s.to) }) });
    s.to = undefined;
    return ask(turn, 'to');
  }
  if (!s.date) return ask(turn, 'date');
  if (s.askPassengers) return ask(turn, 'passengers');
  if (!s.options) return search(turn, deps);
  const option = s.options.find((o) => o.id === s.optionId);
  if (!option) return showOptions(turn, fresh || turn.task.step !== 'pick');
  return confirm(turn, option);
}

function ask(turn: TurnContext, step: Exclude<Step, 'pick' | 'confirm' | 'change'>): Outcome {
  const s = slotsOf(turn);
  turn.task.step = step;
  switch (step) {
    case 'type':
      turn.reply({ text: turn.t('ask.type'), quickReplies: typeButtons(turn) });
      break;
    case 'to':
      turn.reply({ text: turn.t('ask.to', { from: cityName(turn, s.from!) }) });
      break;
    case 'from':
      turn.reply({ text: turn.t('ask.from', { to: cityName(turn, s.to!) }) });
      break;
    case 'date': {
      const t0 = today(turn);
      const quickReplies = [1, 2].map((n, i) => {
        const day = addDays(t0, n);
        const title = turn.t(i === 0 ? 'date.tomorrow' : 'date.day-after', {
          date: formatDay(day, turn.locale, t0),
        });
        return { title, payload: turn.choicePayload(`date:${day}`) };
      });
      turn.reply({ text: turn.t('ask.date'), quickReplies });
      break;
    }
    case 'passengers':
      turn.reply({ text: turn.t('ask.passengers', { max: MAX_PASSENGERS }) });
      break;
    default:
      turn.reply({ text: turn.t('ask.route') });
  }
  return { status: 'waiting' };
}

/** Nothing understood: say what is expected; after MAX_ATTEMPTS, offer a person (and keep the question open). */
async function misunderstood(turn: TurnContext, deps: SkillDeps): Promise<Outcome> {
  const step = turn.task.step as Step;
  turn.task.attempts += 1;
  if (turn.task.attempts >= MAX_ATTEMPTS) {
    turn.task.attempts = 0;
    turn.reply({ text: commonText(turn, 'attempts.exceeded'), quickReplies: [humanButton(turn)] });
    return { status: 'waiting' };
  }
  if (step === 'confirm') {
    turn.reply({ text: turn.t('hint.confirm'), quickReplies: confirmButtons(turn) });
    return { status: 'waiting' };
  }
  if (step === 'route' || step === 'from' || step === 'to') turn.reply({ text: turn.t('hint.city') });
  if (step === 'date') turn.reply({ text: turn.t('hint.date') });
  return next(turn, deps, false);
}

async function search(turn: TurnContext, deps: SkillDeps): Promise<Outcome> {
  const s = slotsOf(turn);
  const backend = backendFor(turn, deps);
  if (!backend) return { status: 'done' };
  const query: TicketSearch = { type: s.type!, from: s.from!.key, to: s.to!.key, date: s.date! };
  const found = await callBackend(turn, () => backend.searchTickets(query));
  if (!found.ok) return found.outcome;
  // Today's trains that have already left cannot be booked.
  const bookable = (options: TicketOption[]) =>
    options.filter((o) => Date.parse(o.departAt) > turn.now.getTime());
  const options = preferred(turn, bookable(found.value));
  if (options.length > 0) {
    s.options = options;
    s.optionId = undefined;
    return showOptions(turn, true);
  }

  // Nothing that day: offer the day before and the day after, but only those that have something.
  const t0 = today(turn);
  const around = [addDays(query.date, -1), addDays(query.date, 1)].filter((d) => d >= t0);
  const days: string[] = [];
  for (const date of around) {
    const other = await callBackend(turn, () => backend.searchTickets({ ...query, date }));
    if (!other.ok) return other.outcome;
    if (bookable(other.value).length > 0) days.push(date);
  }
  const vars = { ...tripVars(turn), date: formatDay(query.date, turn.locale, t0) };
  turn.task.step = days.length > 0 ? 'date' : 'change';
  if (days.length === 0) {
    turn.reply({ text: turn.t('no-results.route', vars), quickReplies: [switchTypeButton(turn)] });
    return { status: 'waiting' };
  }
  turn.reply({
    text: turn.t('no-results', vars),
    quickReplies: days.map((d) => ({
      title: formatDay(d, turn.locale, t0),
      payload: turn.choicePayload(`date:${d}`),
    })),
  });
  return { status: 'waiting' };
}

/** Hours (shop time) of each time of day the NLU names; night wraps past midnight. */
const DAY_PARTS: Record<string, [number, number]> = {
  morning: [5, 12],
  noon: [11, 14],
  afternoon: [12, 18],
  evening: [18, 24],
  night: [20, 29],
};

/**
 * The options to show: those in the part of the day the customer named (all of them if none is),
 * or the ones nearest the time they named; at most MAX_OPTIONS, in departure order.
 */
function preferred(turn: TurnContext, options: TicketOption[]): TicketOption[] {
  const s = slotsOf(turn);
  const tz = shopTimeZone(turn.settings);
  const minutes = (o: TicketOption) => {
    const [h, m] = clockTime(o.departAt, tz).split(':').map(Number) as [number, number];
    return h * 60 + m;
  };
  let list = options;
  const part = s.timeOfDay ? DAY_PARTS[s.timeOfDay] : undefined;
  if (part) {
    const inPart = options.filter((o) => {
      const h = minutes(o) / 60;
      return (h >= part[0] && h < part[1]) || (h + 24 >= part[0] && h + 24 < part[1]);
    });
    if (inPart.length > 0) list = inPart;
    else turn.reply({ text: turn.t('options.none-in-part', { part: turn.t(`part.${s.timeOfDay!}`) }) });
  }
  if (s.time) {
    const [h, m] = s.time.split(':').map(Number) as [number, number];
    const target = h * 60 + m;
    list = [...list].sort((a, b) => Math.abs(minutes(a) - target) - Math.abs(minutes(b) - target));
  }
  return list.slice(0, MAX_OPTIONS).sort((a, b) => Date.parse(a.departAt) - Date.parse(b.departAt));
}

function showOptions(turn: TurnContext, full: boolean): Outcome {
  const s = slotsOf(turn);
  const options = s.options ?? [];
  const tz = shopTimeZone(turn.settings);
  turn.task.step = 'pick';
  const line = (o: TicketOption) =>
    `${clockTime(o.departAt, tz)}→${arrivalTime(o.departAt, o.arriveAt, tz)} ¥${formatYuan(o.price)}`;
  const quickReplies = options.map((o) => ({
    title: `${o.number} ${line(o)}`,
    payload: turn.choicePayload(`opt:${o.id}`),
  }));
  if (!full) {
    turn.reply({ text: turn.t('ask.pick'), quickReplies });
    return { status: 'waiting' };
  }
  const vars = { ...tripVars(turn), passengers: passengerText(turn, s.passengers) };
  turn.reply({
    text: turn.t('options', vars),
    quickReplies,
    card: {
      title: turn.t('options.card.title', vars),
      subtitle: turn.t('options.card.subtitle', { ...vars, count: options.length }),
      fields: options.map((o) => ({ label: o.number, value: line(o) })),
    },
  });
  return { status: 'waiting' };
}

function confirm(turn: TurnContext, option: TicketOption): Outcome {
  const vars = optionVars(turn, option);
  turn.task.step = 'confirm';
  turn.reply({
    text: turn.t('confirm', vars),
    quickReplies: [
      ...confirmButtons(turn),
      { title: turn.t('change-passengers'), payload: turn.choicePayload('passengers') },
    ],
    card: {
      title: `${option.number} ${vars.from} → ${vars.to}`,
      subtitle: vars.date,
      fields: [
        { label: turn.t('field.depart'), value: vars.depart },
        { label: turn.t('field.arrive'), value: vars.arrive },
        { label: turn.t('field.passengers'), value: vars.passengers },
        { label: turn.t('field.total'), value: `¥${vars.total}` },
      ],
    },
  });
  return { status: 'waiting' };
}

async function book(turn: TurnContext, deps: SkillDeps): Promise<Outcome> {
  const s = slotsOf(turn);
  const option = s.options?.find((o) => o.id === s.optionId);
  if (!option) return next(turn, deps, true);
  const backend = backendFor(turn, deps);
  if (!backend) return { status: 'done' };
  const request = { customerId: turn.user.id, optionId: option.id, passengers: s.passengers };
  const result = await callBackend(turn, () => backend.bookTicket(request, idempotencyKey(turn, 'book')));
  if (!result.ok) return result.outcome;
  const { bookingId, status } = result.value;
  turn.memory.lastBooking = { bookingId, status, optionId: option.id };
  if (status !== 'failed') turn.memory.lastTrip = { type: s.type, from: s.from, to: s.to } satisfies LastTrip;
  const vars = { ...optionVars(turn, option), bookingId };
  if (status === 'failed') {
    turn.reply({ text: turn.t('booked.failed', vars), quickReplies: [humanButton(turn)] });
  } else {
    turn.reply({ text: turn.t(status === 'confirmed' ? 'booked.confirmed' : 'booked.pending', vars) });
  }
  return { status: 'done' };
}

function decline(turn: TurnContext): Outcome {
  turn.reply({ text: turn.t('declined') });
  return { status: 'cancelled' };
}

function cityName(turn: TurnContext, place: Place): string {
  return turn.locale.startsWith('zh') && place.zh ? place.zh : place.key;
}

function passengerText(turn: TurnContext, n: number): string {
  return turn.t(n === 1 ? 'passengers.one' : 'passengers.other', { n });
}

function typeButtons(turn: TurnContext): QuickReply[] {
  return (['flight', 'train'] as const).map((type) => ({
    title: turn.t(`type.${type}.button`),
    payload: turn.choicePayload(`type:${type}`),
  }));
}

function switchTypeButton(turn: TurnContext): QuickReply {
  const other: TicketType = slotsOf(turn).type === 'train' ? 'flight' : 'train';
  return {
    title: turn.t('switch-type', { type: turn.t(`type.${other}`) }),
    payload: turn.choicePayload(`type:${other}`),
  };
}

function tripVars(turn: TurnContext) {
  const s = slotsOf(turn);
  return {
    from: cityName(turn, s.from!),
    to: cityName(turn, s.to!),
    type: turn.t(`type.${s.type!}`),
    date: formatDay(s.date!, turn.locale, today(turn)),
  };
}

function optionVars(turn: TurnContext, option: TicketOption) {
  const s = slotsOf(turn);
  const tz = shopTimeZone(turn.settings);
  return {
    ...tripVars(turn),
    number: option.number,
    date: formatDay(dayOf(new Date(option.departAt), tz), turn.locale, today(turn)),
    depart: clockTime(option.departAt, tz),
    arrive: arrivalTime(option.departAt, option.arriveAt, tz),
    passengers: passengerText(turn, s.passengers),
    price: formatYuan(option.price),
    total: formatYuan(option.price * s.passengers),
  };
}
