import type { Request } from 'express';
import { loadCatalog, translate } from '../../../bot/i18n';

/** The merchant API's user-visible text (import previews, the connection test), zh-CN and en-US. */
const catalog = loadCatalog(__dirname);

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

/** Text in the reader's language: the first tag of Accept-Language (the admin sends its UI language). */
export function translatorFor(req: Request): Translate {
  const locale = req.get('accept-language')?.split(',')[0]?.split(';')[0]?.trim();
  return (key, vars) => translate(catalog, locale, key, vars);
}
