import { type Catalog, loadCatalog, translate } from '../../bot/i18n';
import type { Digest } from '../api/analytics.schemas';

/** The digest's own text, zh-CN and en-US (messages.<locale>.yaml next to this file). */
const catalog: Catalog = loadCatalog(__dirname);

/** Clusters shown in the digest (the dashboard shows up to 50). */
export const DIGEST_CLUSTERS = 10;

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const percent = (rate: number) => `${Math.round(rate * 1000) / 10}%`;

// E-mail clients ignore <style> blocks and most of CSS: tables for layout, every style inline.
const FONT = "font-family:-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',Arial,sans-serif;";
const CELL = `${FONT}padding:8px 12px;border-bottom:1px solid #e5e7eb;font-size:14px;color:#111827;`;
const HEAD = `${FONT}padding:8px 12px;border-bottom:2px solid #d1d5db;font-size:12px;color:#6b7280;text-align:left;`;
const H2 = `${FONT}margin:24px 0 8px;font-size:16px;color:#111827;`;
const P = `${FONT}margin:0 0 12px;font-size:14px;color:#374151;line-height:1.5;`;

/** The digest as a complete, self-contained HTML e-mail: every text escaped, every style inline. */
export function renderDigestHtml(digest: Digest, shopName: string): string {
  const { figures, locale, day } = digest;
  const t = (key: string, vars?: Record<string, string | number>) =>
    escapeHtml(translate(catalog, locale, key, vars));
  const row = (label: string, value: string) =>
    `<tr><td style="${CELL}">${label}</td><td style="${CELL}text-align:right;font-weight:600;">${value}</td></tr>`;
  const satisfaction =
    figures.satisfaction === null
      ? t('satisfaction-none')
      : `${percent(figures.satisfaction)} <span style="color:#6b7280;font-weight:400;">(${t('satisfaction-detail', { responses: figures.satisfactionResponses })})</span>`;

  const channels = Object.entries(figures.byChannel);
  const table = (head: string[], rows: string[][], align: ('left' | 'right')[]) =>
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;">` +
    `<tr>${head.map((h, i) => `<th style="${HEAD}text-align:${align[i]};">${h}</th>`).join('')}</tr>` +
    rows
      .map(
        (r) => `<tr>${r.map((c, i) => `<td style="${CELL}text-align:${align[i]};">${c}</td>`).join('')}</tr>`,
      )
      .join('') +
    `</table>`;

  const unanswered = figures.unanswered.slice(0, DIGEST_CLUSTERS);
  const unansweredBlock = unanswered.length
    ? `<p style="${P}">${t('unanswered-intro')}</p>` +
      table(
        [t('question'), t('count'), t('examples'), t('suggested')],
        unanswered.map((c) => [
          `<strong>${escapeHtml(c.text)}</strong><br><span style="font-size:12px;color:#6b7280;">${t('reasons', c.reasons)}</span>`,
          String(c.count),
          c.examples
            .filter((e) => e !== c.text)
            .map(escapeHtml)
            .join('<br>') || t('none'),
          c.suggestedEntry ? escapeHtml(c.suggestedEntry.question) : t('none'),
        ]),
        ['left', 'right', 'left', 'left'],
      ) +
      (figures.unansweredSampled ? `<p style="${P}font-size:12px;">${t('sampled')}</p>` : '')
    : `<p style="${P}">${t('unanswered-none')}</p>`;

  const body = [
    `<h1 style="${FONT}margin:0 0 4px;font-size:20px;color:#111827;">${t('title')}</h1>`,
    `<p style="${P}">${t('intro', { shop: shopName, day, timezone: figures.timezone })}</p>`,
    `<h2 style="${H2}">${t('figures')}</h2>`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;">`,
    row(t('conversations'), String(figures.conversations)),
    row(t('user-messages'), String(figures.userMessages)),
    row(t('self-service-rate'), percent(figures.selfServiceRate)),
    row(t('handoff-rate'), percent(figures.handoffRate)),
    row(t('fallback-rate'), percent(figures.fallbackRate)),
    row(t('satisfaction'), satisfaction),
    `</table>`,
    ...(channels.length
      ? [
          `<h2 style="${H2}">${t('channels')}</h2>`,
          table(
            [t('channels'), t('conversations')],
            channels.map(([c, n]) => [escapeHtml(c), String(n)]),
            ['left', 'right'],
          ),
        ]
      : []),
    ...(figures.topIntents.length
      ? [
          `<h2 style="${H2}">${t('top-intents')}</h2>`,
          table(
            [t('top-intents'), t('count')],
            figures.topIntents.map((i) => [escapeHtml(i.intent), String(i.count)]),
            ['left', 'right'],
          ),
        ]
      : []),
    `<h2 style="${H2}">${t('unanswered')}</h2>`,
    unansweredBlock,
    `<p style="${P}margin-top:24px;font-size:12px;color:#9ca3af;">${t('footer')}</p>`,
  ].join('\n');

  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(locale)}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${t('subject', { shop: shopName, day })}</title></head>`,
    `<body style="margin:0;padding:0;background:#f3f4f6;">`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;">`,
    `<tr><td align="center" style="padding:24px 12px;">`,
    `<table role="presentation" width="640" cellpadding="0" cellspacing="0" style="max-width:640px;width:100%;background:#ffffff;border-radius:8px;">`,
    `<tr><td style="padding:24px;">`,
    body,
    `</td></tr></table>`,
    `</td></tr></table>`,
    `</body></html>`,
  ].join('\n');
}

/** The e-mail subject line (plain text). */
export function digestSubject(digest: Digest, shopName: string): string {
  return translate(catalog, digest.locale, 'subject', { shop: shopName, day: digest.day });
}
