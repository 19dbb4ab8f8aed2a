import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { localeSchema } from '../../bot/activity';
import { KefuError, errors } from '../../bot/errors';
import { topics } from '../../bot/events';
import { ROLES, jsonBody, parseInput, requireShopAccess, shopOf } from '../../bot/http';
import { errorResponse, jsonRequest, pathParameter, queryParameters, requestSchema } from '../../bot/openapi';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import type { KnowledgeEntry } from '../../bot/store/knowledge.repo';
import { knowledgeSchema } from './admin.schemas';
import { translatorFor } from './i18n/catalog';
import {
  COLUMNS,
  type ImportRow,
  MEDIA_TYPES,
  SHEET_FORMATS,
  type SheetFormat,
  checkRows,
  normalizeQuestion,
  readTable,
  renderKnowledge,
  renderTemplate,
} from './knowledge-io';

/** The most similar questions one entry holds (as POST /knowledge accepts). */
const MAX_SIMILAR = 100;
/** An import file's size limit. */
const MAX_FILE = '5mb';

export const knowledgeQuerySchema = z.object({
  /** Text the question, an answer or a similar question contains (any case). */
  q: z.string().trim().max(200).optional(),
  locale: localeSchema.optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  /** Default 50 once any parameter is given; without parameters every entry comes back. */
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export const sheetFormatQuerySchema = z.object({ format: z.enum(SHEET_FORMATS).default('xlsx') });
export const importQuerySchema = z.object({
  /** true (the default): check and preview, save nothing. false: save the valid rows. */
  dryRun: z.enum(['true', 'false']).default('true'),
});
export const addSimilarSchema = z
  .object({
    text: z.string().trim().min(1).max(500),
    /** When given, it must be the entry's locale (the question is in that language). */
    locale: localeSchema.optional(),
  })
  .strict();

const entrySchema = z.object({
  id: z.string(),
  locale: z.string(),
  question: z.string(),
  similar: z.array(z.string()),
  answer: z.string(),
  updatedAt: z.string(),
});
const importedEntrySchema = z.object({
  id: z.string().optional(),
  locale: z.string(),
  question: z.string(),
  similar: z.array(z.string()),
  answer: z.string(),
});
export const importResponseSchema = z.object({
  rows: z.array(
    z.object({
      row: z.number().int(),
      entry: importedEntrySchema.optional(),
      errors: z.array(z.object({ column: z.enum(COLUMNS), message: z.string() })),
    }),
  ),
  valid: z.number().int(),
  invalid: z.number().int(),
  upserted: z.number().int().optional(),
});

/** The raw file: CSV or XLSX up to 5 MB; any other type is a 415, a bigger file a 413. */
function sheetBody() {
  const types = Object.values(MEDIA_TYPES);
  const parse = express.raw({ type: types, limit: MAX_FILE });
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.is(types)) {
      next(
        new KefuError(
          'UNSUPPORTED_MEDIA_TYPE',
          `Send the file itself as the body, with Content-Type ${types.join(' or ')}.`,
          415,
        ),
      );
      return;
    }
    parse(req, res, next);
  };
}

function sendFile(res: Response, format: SheetFormat, name: string, file: Buffer): void {
  res
    .status(200)
    .set({
      'Content-Type': format === 'csv' ? `${MEDIA_TYPES.csv}; charset=utf-8` : MEDIA_TYPES.xlsx,
      'Content-Disposition': `attachment; filename="${name}.${format}"`,
      'Cache-Control': 'no-store',
    })
    .send(file);
}

/**
 * The merchant's knowledge: list and search, create, edit, delete, add a similar question, and the
 * spreadsheet side (template, export, import with a per-row preview). Owners, editors and programs.
 */
export function createKnowledgeApi(platform: Platform): HttpModule {
  const { store, log } = platform;
  const editors = requireShopAccess({ store, adminToken: platform.adminToken }, ROLES.editors);
  const route = '/api/v1/shops/:shopId/knowledge';
  const changed = (shopId: string) => platform.events.publish(topics.knowledgeChanged, { shopId });

  return {
    id: 'knowledge',
    openApiPaths: knowledgeOpenApiPaths,
    mount(app) {
      app.post(route, editors, jsonBody('4mb'), async (req, res) => {
        const { entries } = parseInput(knowledgeSchema, req.body);
        const ids = new Set<string>();
        const withIds = entries.map((e) => {
          const id = e.id ?? newEntryId();
          if (ids.has(id)) throw errors.badRequest(`Entry id "${id}" appears twice.`, 'DUPLICATE_ID');
          ids.add(id);
          return { ...e, id };
        });
        const upserted = await store.knowledge.upsert(shopOf(res).id, withIds);
        await changed(shopOf(res).id);
        res.json({ upserted, ids: withIds.map((e) => e.id) });
      });

      app.get(route, editors, async (req, res) => {
        const query = parseInput(knowledgeQuerySchema, req.query);
        const paged = Object.keys(req.query).length > 0;
        const found = await store.knowledge.search(shopOf(res).id, {
          q: query.q || undefined,
          locale: query.locale,
          offset: query.offset,
          limit: paged ? (query.limit ?? 50) : undefined,
        });
        res.json(found);
      });

      app.get(`${route}/template`, editors, async (req, res) => {
        const { format } = parseInput(sheetFormatQuerySchema, req.query);
        sendFile(res, format, 'knowledge-template', await renderTemplate(format));
      });

      app.get(`${route}/export`, editors, async (req, res) => {
        const { format } = parseInput(sheetFormatQuerySchema, req.query);
        const shop = shopOf(res);
        const entries = await store.knowledge.list(shop.id);
        const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
        const name = `knowledge-${shop.id.replace(/[^A-Za-z0-9_-]/g, '')}-${day}`;
        sendFile(res, format, name, await renderKnowledge(format, entries));
      });

      app.post(`${route}/import`, editors, sheetBody(), async (req, res) => {
        const { dryRun } = parseInput(importQuerySchema, req.query);
        const shop = shopOf(res);
        const format: SheetFormat = req.is(MEDIA_TYPES.csv) ? 'csv' : 'xlsx';
        const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const rows = checkRows(await readTable(format, bytes), {
          locales: shop.locales,
          t: translatorFor(req),
        });
        matchExisting(rows, await store.knowledge.list(shop.id));
        const valid = rows.filter((r) => r.errors.length === 0 && r.entry);
        const body = { rows, valid: valid.length, invalid: rows.length - valid.length };
        if (dryRun === 'true') {
          res.json(body);
          return;
        }
        const entries: KnowledgeEntry[] = valid.map((r) => ({
          ...r.entry!,
          id: r.entry!.id ?? newEntryId(),
        }));
        const upserted = await store.knowledge.upsert(shop.id, entries);
        if (upserted > 0) await changed(shop.id);
        log.info({ shopId: shop.id, upserted, invalid: body.invalid, format }, 'knowledge imported');
        res.json({ ...body, upserted });
      });

      app.get(`${route}/:entryId`, editors, async (req, res) => {
        const entry = await store.knowledge.get(shopOf(res).id, String(req.params.entryId));
        if (!entry) throw errors.notFound('Knowledge entry');
        res.json(entry);
      });

      app.post(`${route}/:entryId/similar`, editors, jsonBody('8kb'), async (req, res) => {
        const { text, locale } = parseInput(addSimilarSchema, req.body);
        const shopId = shopOf(res).id;
        const entryId = String(req.params.entryId);
        const current = await store.knowledge.get(shopId, entryId);
        if (!current) throw errors.notFound('Knowledge entry');
        if (locale && locale !== current.locale) {
          throw errors.badRequest(
            `The entry is in ${current.locale}; a ${locale} question belongs to an entry in that language.`,
            'LOCALE_MISMATCH',
          );
        }
        const result = await store.knowledge.addSimilar(shopId, entryId, text, MAX_SIMILAR);
        if (!result) throw errors.notFound('Knowledge entry');
        if (result === 'full') {
          throw errors.conflict(
            `An entry holds at most ${MAX_SIMILAR} similar questions.`,
            'TOO_MANY_SIMILAR',
          );
        }
        if (result.added) await changed(shopId);
        res.json(result.entry);
      });

      app.delete(`${route}/:entryId`, editors, async (req, res) => {
        const deleted = await store.knowledge.delete(shopOf(res).id, String(req.params.entryId));
        if (!deleted) throw errors.notFound('Knowledge entry');
        await changed(shopOf(res).id);
        res.status(204).end();
      });
    },
  };
}

const newEntryId = () => `kb_${crypto.randomUUID()}`;

/**
 * A row without an id whose question an entry already asks (same locale) updates that entry, so
 * importing the same file twice does not double the knowledge.
 */
function matchExisting(rows: ImportRow[], existing: readonly KnowledgeEntry[]): void {
  const byQuestion = new Map(existing.map((e) => [`${e.locale}\n${normalizeQuestion(e.question)}`, e.id]));
  const claimed = new Set(rows.flatMap((r) => (r.entry?.id ? [r.entry.id] : [])));
  for (const r of rows) {
    if (!r.entry || r.entry.id || r.errors.length > 0) continue;
    const id = byQuestion.get(`${r.entry.locale}\n${normalizeQuestion(r.entry.question)}`);
    if (id && !claimed.has(id)) {
      r.entry = { id, ...r.entry };
      claimed.add(id);
    }
  }
}

const security = [{ shopApiKey: [] }, { adminToken: [] }, { sessionCookie: [] }];
const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema: requestSchema(schema) } } });
const file = (description: string) => ({
  description,
  headers: { 'Content-Disposition': { schema: { type: 'string' }, description: 'attachment; filename=…' } },
  content: {
    [MEDIA_TYPES.xlsx]: { schema: { type: 'string', format: 'binary' } },
    [`${MEDIA_TYPES.csv}; charset=utf-8`]: { schema: { type: 'string' } },
  },
});
const denied = {
  '401': errorResponse('Not signed in / no credentials'),
  '403': errorResponse('Another shop, ROLE_FORBIDDEN (agents) or CSRF_FAILED'),
};
const entryIdParameter = pathParameter('entryId');
const knowledgeOpenApiPaths = {
  '/api/v1/shops/{shopId}/knowledge': {
    parameters: [pathParameter('shopId')],
    get: {
      summary:
        'List or search entries (owners, editors). Without parameters: every entry; with any, a page (limit default 50)',
      security,
      parameters: queryParameters(knowledgeQuerySchema),
      responses: {
        '200': {
          description: 'The page and how many entries match in all',
          ...json(z.object({ entries: z.array(entrySchema), total: z.number().int() })),
        },
        '400': errorResponse('Invalid parameters'),
        ...denied,
      },
    },
    post: {
      summary: 'Upsert entries; an existing id is replaced (owners, editors)',
      security,
      requestBody: jsonRequest(knowledgeSchema),
      responses: {
        '200': {
          description: 'How many were saved, and their ids',
          ...json(z.object({ upserted: z.number().int(), ids: z.array(z.string()) })),
        },
        '400': errorResponse('Invalid fields or DUPLICATE_ID'),
        ...denied,
      },
    },
  },
  '/api/v1/shops/{shopId}/knowledge/template': {
    parameters: [pathParameter('shopId')],
    get: {
      summary: 'The import template: the header (id, locale, question, similar, answer) and two example rows',
      security,
      parameters: queryParameters(sheetFormatQuerySchema),
      responses: { '200': file('The template file'), ...denied },
    },
  },
  '/api/v1/shops/{shopId}/knowledge/export': {
    parameters: [pathParameter('shopId')],
    get: {
      summary:
        'Every entry as a spreadsheet (similar questions one per line; cells starting = + - @ get a leading apostrophe; CSV is UTF-8 with a BOM)',
      security,
      parameters: queryParameters(sheetFormatQuerySchema),
      responses: { '200': file('The export file'), ...denied },
    },
  },
  '/api/v1/shops/{shopId}/knowledge/import': {
    parameters: [pathParameter('shopId')],
    post: {
      summary:
        'Import a CSV or XLSX file (the raw file as the body, ≤ 5 MB): every row checked; dryRun=false saves the valid rows',
      description:
        'Headers in English (id, locale, question, similar, answer) or Chinese (编号, 语言, 问题, 相似问法, 答案). ' +
        "An empty locale is the shop's first; similar questions one per line (or separated by |). " +
        'A row without an id whose question an entry of the same locale already asks updates that entry. ' +
        'Row error messages follow Accept-Language (zh-CN or en-US).',
      security,
      parameters: queryParameters(importQuerySchema),
      requestBody: {
        required: true,
        content: {
          [MEDIA_TYPES.csv]: { schema: { type: 'string' } },
          [MEDIA_TYPES.xlsx]: { schema: { type: 'string', format: 'binary' } },
        },
      },
      responses: {
        '200': { description: 'The rows with their errors (header = row 1)', ...json(importResponseSchema) },
        '400': errorResponse('UNREADABLE_FILE, MISSING_COLUMNS or TOO_MANY_ROWS'),
        ...denied,
        '413': errorResponse('The file is larger than 5 MB'),
        '415': errorResponse('Not text/csv or an .xlsx workbook'),
      },
    },
  },
  '/api/v1/shops/{shopId}/knowledge/{entryId}': {
    parameters: [pathParameter('shopId'), entryIdParameter],
    get: {
      summary: 'One entry',
      security,
      responses: {
        '200': { description: 'The entry', ...json(entrySchema) },
        ...denied,
        '404': errorResponse('Unknown entry'),
      },
    },
    delete: {
      summary: 'Delete an entry',
      security,
      responses: { '204': { description: 'Deleted' }, ...denied, '404': errorResponse('Unknown entry') },
    },
  },
  '/api/v1/shops/{shopId}/knowledge/{entryId}/similar': {
    parameters: [pathParameter('shopId'), entryIdParameter],
    post: {
      summary: 'Add a similar question to an entry (nothing changes when it is already there)',
      security,
      requestBody: jsonRequest(addSimilarSchema),
      responses: {
        '200': { description: 'The updated entry', ...json(entrySchema) },
        '400': errorResponse('Invalid fields or LOCALE_MISMATCH'),
        ...denied,
        '404': errorResponse('Unknown entry'),
        '409': errorResponse('TOO_MANY_SIMILAR'),
      },
    },
  },
};
