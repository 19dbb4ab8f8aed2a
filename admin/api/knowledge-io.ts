import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { readSheet } from 'read-excel-file/node';
import writeXlsxFile from 'write-excel-file/node';
import { KefuError } from '../../bot/errors';
import type { KnowledgeEntry } from '../../bot/store/knowledge.repo';
import { knowledgeSchema } from './admin.schemas';
import type { Translate } from './i18n/catalog';

/**
 * Knowledge entries as spreadsheets (CSV and XLSX): the template, the export, and the import with
 * its per-row preview. A row is checked with the very schema POST /knowledge validates with, so an
 * import cannot save what the API would refuse.
 */

export const SHEET_FORMATS = ['csv', 'xlsx'] as const;
export type SheetFormat = (typeof SHEET_FORMATS)[number];

export const MEDIA_TYPES: Record<SheetFormat, string> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export const COLUMNS = ['id', 'locale', 'question', 'similar', 'answer'] as const;
export type Column = (typeof COLUMNS)[number];

/** Header cells, in English or Chinese, lower-cased and without spaces. */
const HEADER_NAMES: Record<string, Column> = {
  id: 'id',
  编号: 'id',
  locale: 'locale',
  language: 'locale',
  语言: 'locale',
  question: 'question',
  问题: 'question',
  similar: 'similar',
  similarquestions: 'similar',
  相似问法: 'similar',
  answer: 'answer',
  答案: 'answer',
};
const ZH_HEADERS: Record<Column, string> = {
  id: '编号',
  locale: '语言',
  question: '问题',
  similar: '相似问法',
  answer: '答案',
};

/** The rows a file may hold (5 MB of text is far fewer entries than this in practice). */
export const MAX_ROWS = 5000;

const entrySchema = knowledgeSchema.shape.entries.element;

export interface ImportedEntry {
  id?: string;
  locale: string;
  question: string;
  similar: string[];
  answer: string;
}

export interface ImportRow {
  /** The sheet's row number: the header is row 1. */
  row: number;
  entry?: ImportedEntry;
  errors: { column: Column; message: string }[];
}

const unreadable = (message: string) => new KefuError('UNREADABLE_FILE', message, 400);

/** The file's cells as text, row by row (row 0 is the header). A file that is not CSV/XLSX is a 400. */
export async function readTable(format: SheetFormat, bytes: Buffer): Promise<string[][]> {
  if (bytes.length === 0) throw unreadable('The file is empty.');
  if (format === 'xlsx') {
    let rows: unknown[][];
    try {
      rows = await readSheet(bytes, { trim: false });
    } catch {
      throw unreadable('The file could not be read as an Excel workbook (.xlsx).');
    }
    return rows.map((row) => row.map(cellText));
  }
  try {
    return parseCsv(decodeText(bytes), {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: false,
    }) as string[][];
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw unreadable(`The file could not be read as CSV${line ? ` (near line ${line})` : ''}.`);
  }
}

/** UTF-8 (with or without a BOM); Excel's "CSV" on a Chinese Windows is GB18030, which is read too. */
function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    try {
      return new TextDecoder('gb18030', { fatal: true }).decode(bytes);
    } catch {
      throw unreadable('The CSV file is not UTF-8 text; save it as "CSV UTF-8".');
    }
  }
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** Which column each header cell names; a header without question or answer is a 400 naming them. */
export function headerColumns(header: string[]): Map<Column, number> {
  const columns = new Map<Column, number>();
  header.forEach((cell, i) => {
    const column =
      HEADER_NAMES[
        cell
          .replace(/^\uFEFF/, '')
          .replace(/\s+/g, '')
          .toLowerCase()
      ];
    if (column && !columns.has(column)) columns.set(column, i);
  });
  const missing = (['question', 'answer'] as const).filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new KefuError(
      'MISSING_COLUMNS',
      `The header row (row 1) lacks the column${missing.length > 1 ? 's' : ''} ` +
        `${missing.map((c) => `"${c}" (${ZH_HEADERS[c]})`).join(' and ')}. ` +
        `Expected: ${COLUMNS.join(', ')} (or ${COLUMNS.map((c) => ZH_HEADERS[c]).join(', ')}).`,
      400,
    );
  }
  return columns;
}

/**
 * Every non-empty row, checked: required fields, lengths and id format (the API's schema), the
 * shop's locales (an empty cell takes the first), and duplicates within the file.
 */
export function checkRows(table: string[][], opts: { locales: string[]; t: Translate }): ImportRow[] {
  const { locales, t } = opts;
  const [header = [], ...body] = table;
  const columns = headerColumns(header);
  if (body.length > MAX_ROWS) {
    throw new KefuError('TOO_MANY_ROWS', `A file may hold at most ${MAX_ROWS} rows; split it.`, 400);
  }
  const seenIds = new Map<string, number>();
  const seenQuestions = new Map<string, number>();
  const rows: ImportRow[] = [];
  body.forEach((cells, i) => {
    const row = i + 2;
    const cell = (c: Column) => {
      const at = columns.get(c);
      return at === undefined ? '' : unescapeCell((cells[at] ?? '').trim());
    };
    if (COLUMNS.every((c) => cell(c) === '')) return;
    const errors: ImportRow['errors'] = [];
    const rawLocale = cell('locale');
    const locale = rawLocale
      ? (locales.find((l) => l.toLowerCase() === rawLocale.toLowerCase()) ?? rawLocale)
      : (locales[0] ?? 'zh-CN');
    const entry: ImportedEntry = {
      ...(cell('id') ? { id: cell('id') } : {}),
      locale,
      question: cell('question'),
      similar: splitSimilar(cell('similar')),
      answer: cell('answer'),
    };
    const checked = entrySchema.safeParse(entry);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const column = (COLUMNS as readonly unknown[]).includes(issue.path[0])
          ? (issue.path[0] as Column)
          : 'question';
        // The locale gets one message below, naming the shop's locales.
        if (column === 'locale' || errors.some((e) => e.column === column)) continue;
        errors.push({ column, message: issueMessage(column, issue, t) });
      }
    }
    if (!locales.includes(locale) && !errors.some((e) => e.column === 'locale')) {
      errors.push({ column: 'locale', message: t('import.bad-locale', { locales: locales.join(', ') }) });
    }
    if (entry.id) {
      const earlier = seenIds.get(entry.id);
      if (earlier !== undefined) {
        errors.push({ column: 'id', message: t('import.duplicate-id', { id: entry.id, row: earlier }) });
      } else seenIds.set(entry.id, row);
    }
    if (entry.question) {
      const key = `${locale}\n${normalizeQuestion(entry.question)}`;
      const earlier = seenQuestions.get(key);
      if (earlier !== undefined) {
        errors.push({
          column: 'question',
          message: t('import.duplicate-question', { row: earlier, locale }),
        });
      } else seenQuestions.set(key, row);
    }
    rows.push({ row, entry, errors });
  });
  return rows;
}

function issueMessage(
  column: Column,
  issue: { code: string; maximum?: unknown; origin?: unknown },
  t: Translate,
): string {
  if (issue.code === 'too_small') return t('import.required');
  if (issue.code === 'too_big') {
    return issue.origin === 'array'
      ? t('import.too-many-similar', { max: Number(issue.maximum) })
      : t('import.too-long', { max: Number(issue.maximum) });
  }
  return column === 'id' ? t('import.bad-id') : t('import.invalid');
}

/** Questions compare without case, width or spacing differences. */
export function normalizeQuestion(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** One similar question per line in the cell (a `|` between them works too). */
export function splitSimilar(cell: string): string[] {
  const out: string[] = [];
  for (const part of cell.split(/\r?\n|\|/)) {
    const text = part.trim();
    if (text && !out.some((s) => normalizeQuestion(s) === normalizeQuestion(text))) out.push(text);
  }
  return out;
}

/** A cell Excel would run as a formula (= + - @, or a tab/CR that some tools also treat so) gets a leading apostrophe. */
export function escapeCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** What escapeCell added comes off again on import, so an export imports back unchanged. */
function unescapeCell(text: string): string {
  return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

const exampleRows = (): ImportedEntry[] => [
  {
    id: 'shipping-time',
    locale: 'zh-CN',
    question: '什么时候发货？',
    similar: ['多久发货', '几天能发货'],
    answer: '付款后 48 小时内发货，节假日顺延。',
  },
  {
    id: 'shipping-time-en',
    locale: 'en-US',
    question: 'When do you ship?',
    similar: ['How long until my order ships', 'shipping time'],
    answer: 'We ship within 48 hours of payment.',
  },
];

/** The header plus one row per entry, formula-escaped, similar questions one per line. */
function sheetRows(entries: readonly ImportedEntry[]): string[][] {
  return [
    [...COLUMNS],
    ...entries.map((e) => [e.id ?? '', e.locale, e.question, e.similar.join('\n'), e.answer].map(escapeCell)),
  ];
}

/** A CSV (UTF-8 with a BOM, so Excel shows Chinese) or XLSX file of the entries. */
export async function renderKnowledge(
  format: SheetFormat,
  entries: readonly (KnowledgeEntry | ImportedEntry)[],
): Promise<Buffer> {
  const rows = sheetRows(entries);
  if (format === 'csv') return Buffer.from(stringifyCsv(rows, { bom: true, record_delimiter: 'windows' }));
  const widths = [20, 10, 40, 40, 60];
  return writeXlsxFile(
    rows.map((cells) => cells.map((value) => ({ value, type: String, wrap: true }))),
    { sheet: 'knowledge', columns: widths.map((width) => ({ width })), stickyRowsCount: 1 },
  ).toBuffer();
}

/** The template: the header and two example rows (zh-CN and en-US). */
export function renderTemplate(format: SheetFormat): Promise<Buffer> {
  return renderKnowledge(format, exampleRows());
}
