import { ApiError } from './admin.api';
import { remembered } from './dom';

export type Strings = Record<string, string>;

export const LOCALES = ['zh-CN', 'en-US'] as const;
export type UiLocale = (typeof LOCALES)[number];

const LOCALE_KEY = 'kefu:admin-locale';

/** The page's words in the chosen locale (both catalogues travel in the page), and dates written its way. */
export class I18n {
  locale: UiLocale;

  constructor(private readonly catalog: Record<string, Strings>) {
    this.locale = initialLocale();
  }

  setLocale(locale: UiLocale): void {
    this.locale = locale;
    remembered.set(LOCALE_KEY, locale);
  }

  t(key: string, vars: Record<string, string | number> = {}): string {
    const text = this.catalog[this.locale]?.[key] ?? this.catalog['en-US']?.[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
  }

  /** A label from the catalogue, or the raw value when there is none (a channel added later). */
  label(prefix: string, value: string): string {
    return this.catalog[this.locale]?.[`${prefix}.${value}`] ?? value;
  }

  /** The API's own message; never a stack trace. */
  errorText(err: unknown, fallbackKey = 'error.generic'): string {
    if (err instanceof ApiError) {
      // Errors the page knows are told in the page's language; others in the API's words.
      const known = this.catalog[this.locale]?.[`error.code.${err.code}`];
      if (known) return known;
      if (err.message) return err.message;
      if (err.code === 'NETWORK') return this.t('error.network');
      if (err.code === 'TIMEOUT') return this.t('error.timeout');
      return this.t('error.status', { status: err.status });
    }
    return this.t(fallbackKey);
  }

  dateTime(iso: string | null | undefined): string {
    if (!iso) return '';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleString(this.locale, {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
  }

  number(n: number): string {
    return new Intl.NumberFormat(this.locale).format(n);
  }
}

function initialLocale(): UiLocale {
  const saved = remembered.get(LOCALE_KEY);
  if (saved === 'zh-CN' || saved === 'en-US') return saved;
  const browser = (navigator.languages?.[0] ?? navigator.language ?? '').toLowerCase();
  return browser.startsWith('zh') ? 'zh-CN' : 'en-US';
}

/** The page's words: the JSON block /admin embeds, `{ "zh-CN": {...}, "en-US": {...} }`. */
export function readCatalog(): Record<string, Strings> {
  try {
    return JSON.parse(document.getElementById('admin-messages')?.textContent ?? '{}') as Record<
      string,
      Strings
    >;
  } catch {
    return {};
  }
}
