import { el } from './dom';

const NOTICE_MS = 8_000;

/** The one notice at a time (an error, or news such as "saved"), gone after a while. */
export class Notice {
  readonly element: HTMLElement;
  private readonly text: HTMLElement;
  private timer?: number;

  /** The test id is on the text alone, so a test reads exactly the message. */
  constructor(testId: string) {
    this.element = el('div', 'notice', { role: 'alert', hidden: '' });
    this.text = el('span', undefined, { 'data-testid': testId });
    const dismiss = el('button', undefined, { type: 'button', 'aria-label': '×' }, '×');
    dismiss.addEventListener('click', () => this.hide());
    this.element.append(this.text, dismiss);
  }

  show(text: string, kind: 'error' | 'info' = 'error'): void {
    this.text.textContent = text;
    this.element.dataset.kind = kind;
    this.text.dataset.kind = kind;
    this.element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    this.element.hidden = false;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.hide(), NOTICE_MS);
  }

  hide(): void {
    window.clearTimeout(this.timer);
    this.element.hidden = true;
  }
}
