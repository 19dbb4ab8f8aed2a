import { time } from './collection';
import { StreamHttpError } from './sse';
import { ApiError } from './workspace.api';

export type Strings = Record<string, string>;

/** The page's words in one locale, and the times, dates and amounts written the locale's way. */
export class I18n {
  constructor(
    readonly locale: string,
    private readonly strings: Strings,
  ) {}

  t(key: string, vars: Record<string, string | number> = {}): string {
    const text = this.strings[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
  }

  /** A label from the catalogue, or the raw value when there is none (a reason added later). */
  label(prefix: string, value: string): string {
    return this.strings[`${prefix}.${value}`] ?? value;
  }

  /** The API's own message; never a stack trace. */
  errorText(err: unknown, fallbackKey = 'error.generic'): string {
    if (err instanceof ApiError || err instanceof StreamHttpError) {
      if (err.message) return err.message;
      if (err.code === 'NETWORK') return this.t('error.network');
      if (err.code === 'TIMEOUT') return this.t('error.timeout');
    }
    return this.t(fallbackKey);
  }

  duration(sinceIso: string): string {
    const seconds = Math.max(0, Math.round((Date.now() - time(sinceIso)) / 1000));
    if (seconds < 60) return this.t('time.seconds', { n: seconds });
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return this.t('time.minutes', { n: minutes });
    return this.t('time.hours', { h: Math.floor(minutes / 60), m: minutes % 60 });
  }

  clock(iso: string): string {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay
      ? d.toLocaleTimeString(this.locale, { hour: '2-digit', minute: '2-digit' })
      : d.toLocaleString(this.locale, {
          month: 'numeric',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
        });
  }

  money(amount: number, currency: string): string {
    try {
      return new Intl.NumberFormat(this.locale, { style: 'currency', currency }).format(amount);
    } catch {
      return `${amount} ${currency}`;
    }
  }
}

/** The page's words: the JSON block /agent embeds, `{ "zh-CN": {...}, "en-US": {...} }`. */
export function readCatalog(): Record<string, Strings> {
  try {
    return JSON.parse(document.getElementById('ws-messages')?.textContent ?? '{}') as Record<string, Strings>;
  } catch {
    return {};
  }
}
