/** Small DOM and browser helpers shared by the admin's views. Text always goes in as textContent. */
import { el } from '../browser/dom';

export { adoptStyles, button, el } from '../browser/dom';

/** A labelled control in a `.field` block; the label points at the control. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const wrap = el('div', 'field');
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 10)}`;
  wrap.append(el('label', undefined, { for: control.id }, label), control);
  if (hint) wrap.append(el('div', 'hint', {}, hint));
  return wrap;
}

export function input(testId: string, attrs: Record<string, string> = {}, value = ''): HTMLInputElement {
  const node = el('input', undefined, { type: 'text', 'data-testid': testId, ...attrs });
  node.value = value;
  return node;
}

export function textarea(testId: string, value = '', rows = 3): HTMLTextAreaElement {
  const node = el('textarea', undefined, { 'data-testid': testId, rows: String(rows) });
  node.value = value;
  return node;
}

export function select(
  testId: string,
  options: { value: string; label: string }[],
  value = '',
): HTMLSelectElement {
  const node = el('select', undefined, { 'data-testid': testId });
  for (const o of options) node.append(el('option', undefined, { value: o.value }, o.label));
  node.value = value;
  return node;
}

/** localStorage that never throws (blocked storage just forgets). */
export const remembered = {
  get(key: string): string | null {
    try {
      return window.localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key: string, value: string): void {
    try {
      window.localStorage.setItem(key, value);
    } catch {
      // Blocked storage: the choice lasts until the page is reloaded.
    }
  },
};

/** YYYY-MM-DD of a date in the browser's time zone (what <input type=date> shows). */
export function isoDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : `${(value * 100).toFixed(1)}%`;
}
