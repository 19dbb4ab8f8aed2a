import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** A message catalogue per locale: `key: text` or `key: [variant, …]`, with `{name}` placeholders. */
export type Catalog = Record<string, Record<string, string | string[]>>;

export const DEFAULT_LOCALE = 'en-US';

/** Loads `messages.<locale>.yaml` files from a folder (each skill keeps its own next to its code). */
export function loadCatalog(dir: string, locales: string[] = ['zh-CN', 'en-US']): Catalog {
  const catalog: Catalog = {};
  for (const locale of locales) {
    const file = path.join(dir, `messages.${locale}.yaml`);
    catalog[locale] = parse(readFileSync(file, 'utf8')) as Record<string, string | string[]>;
  }
  return catalog;
}

/** The catalogue locale closest to `locale` (zh-TW → zh-CN, en-GB → en-US), else the default. */
export function pickLocale(catalog: Catalog, locale: string | undefined): string {
  if (locale && catalog[locale]) return locale;
  const lang = locale?.slice(0, 2);
  const sameLanguage = Object.keys(catalog).find((l) => l.slice(0, 2) === lang);
  return sameLanguage ?? DEFAULT_LOCALE;
}

export function translate(
  catalog: Catalog,
  locale: string | undefined,
  key: string,
  vars: Record<string, string | number> = {},
  pick: (n: number) => number = () => 0,
): string {
  const entry = catalog[pickLocale(catalog, locale)]?.[key] ?? catalog[DEFAULT_LOCALE]?.[key];
  if (entry === undefined) throw new Error(`missing message "${key}"`);
  const text = Array.isArray(entry) ? (entry[pick(entry.length)] ?? entry[0] ?? '') : entry;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}
