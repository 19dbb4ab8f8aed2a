/** Calendar days and clock times in the shop's time zone, and prices, for the booking's replies. */

/** YYYY-MM-DD of an instant in a time zone. */
export function dayOf(instant: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** "11月27日周五" / "Fri, Nov 27", with the year when it is not this year's. */
export function formatDay(day: string, locale: string, today: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const zh = locale.startsWith('zh');
  const withYear = day.slice(0, 4) !== today.slice(0, 4);
  return new Intl.DateTimeFormat(zh ? 'zh-CN' : 'en-US', {
    timeZone: 'UTC',
    ...(withYear ? { year: 'numeric' } : {}),
    month: zh ? 'long' : 'short',
    day: 'numeric',
    weekday: 'short',
  }).format(new Date(Date.UTC(y, m - 1, d, 12)));
}

/** HH:MM of an ISO instant in the shop's time zone. */
export function clockTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

/** "12:30", or "07:10+1" when the arrival is on a later day than the departure (shop time). */
export function arrivalTime(departAt: string, arriveAt: string, timeZone: string): string {
  const days = Math.round(
    (Date.parse(`${dayOf(new Date(arriveAt), timeZone)}T00:00Z`) -
      Date.parse(`${dayOf(new Date(departAt), timeZone)}T00:00Z`)) /
      86_400_000,
  );
  return `${clockTime(arriveAt, timeZone)}${days > 0 ? `+${days}` : ''}`;
}

/** 553 → "553", 553.5 → "553.5", 1107 × 0.1 float noise removed. */
export function formatYuan(amount: number): string {
  const cents = Math.round(amount * 100);
  return cents % 100 === 0 ? String(cents / 100) : (cents / 100).toFixed(cents % 10 === 0 ? 1 : 2);
}
