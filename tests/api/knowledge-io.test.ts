import { parse as parseCsv } from 'csv-parse/sync';
import { readSheet } from 'read-excel-file/node';
import writeXlsxFile from 'write-excel-file/node';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// Knowledge search, add-similar, and the spreadsheet side: template, export, import with its preview (issue 11).
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const password = 'correct horse battery';

let srv: TestServer;
let shopA: { id: string; apiKey: string };
let shopB: { id: string; apiKey: string };

interface Session {
  cookie: string;
  csrf: string;
}
let editorA: Session;
let agentA: Session;

/** A request with a shop key, a session (CSRF token included unless told not to) or nothing. */
async function send(
  method: string,
  path: string,
  opts: {
    token?: string;
    session?: Session;
    csrf?: boolean;
    body?: Buffer | string;
    json?: unknown;
    type?: string;
    lang?: string;
  } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.session) {
    headers.cookie = opts.session.cookie;
    if (opts.csrf !== false) headers['x-csrf-token'] = opts.session.csrf;
  }
  if (opts.type) headers['content-type'] = opts.type;
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  if (opts.lang) headers['accept-language'] = opts.lang;
  const res = await fetch(srv.url + path, {
    method,
    headers,
    body:
      opts.json !== undefined
        ? JSON.stringify(opts.json)
        : typeof opts.body === 'string' || opts.body === undefined
          ? opts.body
          : new Uint8Array(opts.body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let body: any;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    body = undefined;
  }
  return { status: res.status, body, bytes, headers: res.headers };
}

const kb = (shop = shopA) => `/api/v1/shops/${shop.id}/knowledge`;
const importFile = (
  file: Buffer | string,
  type: string,
  dryRun: boolean,
  opts: Parameters<typeof send>[2] = {},
) => send('POST', `${kb()}/import?dryRun=${dryRun}`, { token: shopA.apiKey, body: file, type, ...opts });

async function signIn(email: string): Promise<Session> {
  const res = await fetch(`${srv.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: (await res.json()).csrfToken };
}

async function clearKnowledge(): Promise<void> {
  const { body } = await send('GET', kb(), { token: shopA.apiKey });
  for (const e of body.entries) await send('DELETE', `${kb()}/${e.id}`, { token: shopA.apiKey });
}

const comparable = (
  entries: { id?: string; locale: string; question: string; similar: string[]; answer: string }[],
) =>
  entries
    .map(({ id, locale, question, similar, answer }) => ({ id, locale, question, similar, answer }))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));

beforeAll(async () => {
  srv = await startTestServer();
  const a = await api(srv.url, 'POST', '/api/v1/shops', {
    token: srv.adminToken,
    body: { name: 'Shop A', owner: { email: 'owner@kio-a.example', name: 'Ann', password } },
  });
  shopA = a.body;
  shopB = (await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, body: { name: 'Shop B' } }))
    .body;
  const owner = await signIn('owner@kio-a.example');
  for (const role of ['editor', 'agent']) {
    const res = await send('POST', `/api/v1/shops/${shopA.id}/users`, {
      session: owner,
      json: { email: `${role}@kio-a.example`, name: role, role, password },
    });
    expect(res.status).toBe(201);
  }
  editorA = await signIn('editor@kio-a.example');
  agentA = await signIn('agent@kio-a.example');
});
afterAll(() => srv.stop());

describe('template', () => {
  test.each(['xlsx', 'csv'])(
    '%s: the header and two example rows (zh-CN, en-US), as an attachment',
    async (format) => {
      const res = await send('GET', `${kb()}/template?format=${format}`, { token: shopA.apiKey });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="knowledge-template.${format}"`,
      );
      const rows =
        format === 'xlsx'
          ? ((await readSheet(res.bytes)) as unknown[][])
          : (parseCsv(res.bytes, { bom: true }) as string[][]);
      if (format === 'csv') expect(res.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(rows[0]).toEqual(['id', 'locale', 'question', 'similar', 'answer']);
      expect(rows.slice(1).map((r) => r[1])).toEqual(['zh-CN', 'en-US']);
      // The template imports cleanly as it is.
      const preview = await importFile(res.bytes, format === 'xlsx' ? XLSX : 'text/csv', true);
      expect(preview.body).toMatchObject({ valid: 2, invalid: 0 });
    },
  );

  test('an unknown format is a 400', async () => {
    expect((await send('GET', `${kb()}/template?format=pdf`, { token: shopA.apiKey })).status).toBe(400);
  });
});

describe('import', () => {
  beforeEach(clearKnowledge);

  /** 50 entries, rows 2–51; row 17 has no answer, row 33 a locale the shop does not have. */
  async function fiftyRows(): Promise<Buffer> {
    const rows: (string | null)[][] = [['id', 'locale', 'question', 'similar', 'answer']];
    for (let i = 1; i <= 50; i++) {
      const row = i + 1;
      rows.push([
        `faq-${i}`,
        row === 33 ? 'fr-FR' : i % 2 ? 'zh-CN' : 'en-US',
        `问题 ${i}`,
        `说法 ${i}a\n说法 ${i}b`,
        row === 17 ? null : `答案 ${i}`,
      ]);
    }
    return writeXlsxFile(rows).toBuffer();
  }

  test('a 50-row XLSX with two bad rows: the preview names them and saves nothing; the import saves 48', async () => {
    const file = await fiftyRows();
    const preview = await importFile(file, XLSX, true);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ valid: 48, invalid: 2 });
    expect(preview.body.upserted).toBeUndefined();
    expect(preview.body.rows).toHaveLength(50);
    const bad = preview.body.rows.filter((r: { errors: unknown[] }) => r.errors.length > 0);
    expect(bad).toEqual([
      expect.objectContaining({ row: 17, errors: [{ column: 'answer', message: 'Required.' }] }),
      expect.objectContaining({
        row: 33,
        errors: [{ column: 'locale', message: expect.stringContaining('zh-CN, en-US') }],
      }),
    ]);
    expect(preview.body.rows[0]).toEqual({
      row: 2,
      entry: {
        id: 'faq-1',
        locale: 'zh-CN',
        question: '问题 1',
        similar: ['说法 1a', '说法 1b'],
        answer: '答案 1',
      },
      errors: [],
    });
    expect((await send('GET', kb(), { token: shopA.apiKey })).body).toMatchObject({ entries: [], total: 0 });

    const saved = await importFile(file, XLSX, false);
    expect(saved.body).toMatchObject({ valid: 48, invalid: 2, upserted: 48 });
    const listed = await send('GET', kb(), { token: shopA.apiKey });
    expect(listed.body.total).toBe(48);
    const ids = listed.body.entries.map((e: { id: string }) => e.id);
    expect(ids).not.toContain('faq-16');
    expect(ids).not.toContain('faq-32');
    expect(listed.body.entries.find((e: { id: string }) => e.id === 'faq-2')).toMatchObject({
      locale: 'en-US',
      similar: ['说法 2a', '说法 2b'],
      updatedAt: expect.any(String),
    });
  });

  test('CSV with a BOM and Chinese headers; an empty locale is the shop’s first; similar by line or |', async () => {
    const csv =
      '\ufeff编号,语言,问题,相似问法,答案\r\n' +
      'ship,,什么时候发货？,"多久发货\n几天发货|发货时间",付款后 48 小时内发货。\r\n' +
      ',en-us,Do you ship abroad?,,"Yes, to most countries."\r\n' +
      ',,,,\r\n';
    const res = await importFile(Buffer.from(csv, 'utf8'), 'text/csv; charset=utf-8', false);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: 2, invalid: 0, upserted: 2 });
    expect(res.body.rows.map((r: { row: number }) => r.row)).toEqual([2, 3]);
    const entries = (await send('GET', kb(), { token: shopA.apiKey })).body.entries;
    expect(entries.find((e: { id: string }) => e.id === 'ship')).toMatchObject({
      locale: 'zh-CN',
      question: '什么时候发货？',
      similar: ['多久发货', '几天发货', '发货时间'],
      answer: '付款后 48 小时内发货。',
    });
    expect(entries.find((e: { question: string }) => e.question === 'Do you ship abroad?')).toMatchObject({
      locale: 'en-US',
      id: expect.stringMatching(/^kb_/),
    });
    // The same file again updates those entries instead of adding copies.
    await importFile(Buffer.from(csv, 'utf8'), 'text/csv', false);
    expect((await send('GET', kb(), { token: shopA.apiKey })).body.total).toBe(2);
  });

  test('duplicates within the file, and what POST /knowledge would refuse, are row errors', async () => {
    const long = 'x'.repeat(501);
    const csv = [
      'id,locale,question,answer',
      'a,zh-CN,退货地址,寄到杭州',
      'a,zh-CN,换货,可以换',
      'b,zh-CN, 退货地址 ,另一个答案',
      `c,en-US,${long},answer`,
      'bad id!,en-US,Question,answer',
    ].join('\n');
    const res = await importFile(csv, 'text/csv', false, { lang: 'en-US' });
    expect(res.body).toMatchObject({ valid: 1, invalid: 4, upserted: 1 });
    const errorsOf = (row: number) => res.body.rows.find((r: { row: number }) => r.row === row).errors;
    expect(errorsOf(3)).toEqual([{ column: 'id', message: 'The id "a" is already used in row 2.' }]);
    expect(errorsOf(4)).toEqual([{ column: 'question', message: expect.stringContaining('row 2') }]);
    expect(errorsOf(5)).toEqual([{ column: 'question', message: 'At most 500 characters.' }]);
    expect(errorsOf(6)).toEqual([{ column: 'id', message: expect.stringContaining('letters, digits') }]);
    // In the reader's language.
    const zh = await importFile(csv, 'text/csv', true, { lang: 'zh-CN,zh;q=0.9' });
    expect(zh.body.rows[1].errors[0].message).toBe('编号“a”已在第 2 行使用。');
  });

  test('415 for other types, 400 for an unreadable file or missing columns, 413 over 5 MB', async () => {
    const json = await send('POST', `${kb()}/import`, { token: shopA.apiKey, json: { entries: [] } });
    expect(json).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
    expect((await importFile('question,answer\n', 'text/plain', true)).status).toBe(415);

    const garbage = await importFile(Buffer.from('not a zip at all'), XLSX, true);
    expect(garbage).toMatchObject({ status: 400, body: { error: { code: 'UNREADABLE_FILE' } } });
    expect(garbage.body.error.message).toMatch(/xlsx/i);
    const unterminated = await importFile('question,answer\n"open quote,x\n', 'text/csv', true);
    expect(unterminated).toMatchObject({ status: 400, body: { error: { code: 'UNREADABLE_FILE' } } });
    const empty = await importFile(Buffer.alloc(0), 'text/csv', true);
    expect(empty).toMatchObject({ status: 400, body: { error: { code: 'UNREADABLE_FILE' } } });

    const noAnswer = await importFile('id,question,similar\n1,q,\n', 'text/csv', true);
    expect(noAnswer).toMatchObject({ status: 400, body: { error: { code: 'MISSING_COLUMNS' } } });
    expect(noAnswer.body.error.message).toContain('"answer" (答案)');
    expect(noAnswer.body.error.message).not.toContain('"question"');

    const huge = Buffer.alloc(5 * 1024 * 1024 + 10, 'a');
    expect((await importFile(huge, 'text/csv', true)).status).toBe(413);
    expect((await send('GET', kb(), { token: shopA.apiKey })).body.total).toBe(0);
  });
});

describe('export', () => {
  const tricky = [
    {
      id: 'formula',
      locale: 'en-US',
      question: '=HYPERLINK("http://evil.example","click")',
      similar: ['+1 question', '@SUM(A1)', '-minus'],
      answer: '-2+3',
    },
    {
      id: 'plain',
      locale: 'zh-CN',
      question: '怎么退货？',
      similar: ['退货流程', '如何退货'],
      answer: '在订单页点“申请退货”，我们会在 24 小时内处理。',
    },
    {
      id: 'quote',
      locale: 'zh-CN',
      question: 'It\'s "quoted", with a comma',
      similar: [],
      answer: 'line 1\nline 2',
    },
  ];

  beforeAll(async () => {
    await clearKnowledge();
    const res = await send('POST', kb(), { token: shopA.apiKey, json: { entries: tricky } });
    expect(res.status).toBe(200);
  });

  test('cells that start with = + - @ get a leading apostrophe (CSV and XLSX)', async () => {
    const csv = await send('GET', `${kb()}/export?format=csv`, { token: shopA.apiKey });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="knowledge-.+\.csv"$/);
    expect(csv.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parseCsv(csv.bytes, { bom: true }) as string[][];
    const formula = rows.find((r) => r[0] === 'formula')!;
    expect(formula[2]).toBe('\'=HYPERLINK("http://evil.example","click")');
    expect(formula[4]).toBe("'-2+3");
    // The similar cell starts with "+": escaped as a whole (one question per line inside).
    expect(formula[3]).toBe("'+1 question\n@SUM(A1)\n-minus");
    expect(rows.find((r) => r[0] === 'plain')![2]).toBe('怎么退货？');

    const xlsx = await send('GET', `${kb()}/export?format=xlsx`, { token: shopA.apiKey });
    const sheet = (await readSheet(xlsx.bytes)) as string[][];
    const row = sheet.find((r) => r[0] === 'formula')!;
    expect(row[2]).toMatch(/^'=/);
    expect(row[4]).toBe("'-2+3");
  });

  test.each(['csv', 'xlsx'])(
    '%s round trip: export → import preview gives no errors and the same entries',
    async (format) => {
      const file = await send('GET', `${kb()}/export?format=${format}`, { token: shopA.apiKey });
      const preview = await importFile(file.bytes, format === 'csv' ? 'text/csv' : XLSX, true);
      expect(preview.status).toBe(200);
      expect(preview.body).toMatchObject({ valid: 3, invalid: 0 });
      expect(comparable(preview.body.rows.map((r: { entry: object }) => r.entry))).toEqual(
        comparable(tricky),
      );
    },
  );
});

describe('search, one entry, add a similar question', () => {
  beforeAll(async () => {
    await clearKnowledge();
    const entries = [
      { id: 'k1', locale: 'zh-CN', question: '什么时候发货', similar: ['多久能发货'], answer: '48 小时内' },
      { id: 'k2', locale: 'zh-CN', question: '运费多少', similar: [], answer: '满 99 包邮，否则 8 元发货' },
      {
        id: 'k3',
        locale: 'en-US',
        question: 'When do you ship?',
        similar: ['shipping time'],
        answer: 'Within 48 h',
      },
      { id: 'k4', locale: 'en-US', question: 'Discounts', similar: [], answer: '100% genuine, 10_off codes' },
      { id: 'k5', locale: 'zh-CN', question: '怎么开发票', similar: ['发票'], answer: '下单时填写抬头' },
    ];
    expect((await send('POST', kb(), { token: shopA.apiKey, json: { entries } })).status).toBe(200);
  });

  const search = async (query: string) =>
    (await send('GET', `${kb()}?${query}`, { token: shopA.apiKey })).body;
  const ids = (body: { entries: { id: string }[] }) => body.entries.map((e) => e.id);

  test('q matches the question, the answer or a similar question; locale narrows; % and _ are literal', async () => {
    expect(ids(await search(`q=${encodeURIComponent('发货')}`))).toEqual(['k1', 'k2']);
    expect(ids(await search(`q=${encodeURIComponent('多久能')}`))).toEqual(['k1']);
    expect(ids(await search('q=SHIPPING'))).toEqual(['k3']);
    expect(ids(await search(`q=${encodeURIComponent('发票')}&locale=zh-CN`))).toEqual(['k5']);
    expect(ids(await search('locale=en-US'))).toEqual(['k3', 'k4']);
    expect(ids(await search('q=%25'))).toEqual(['k4']);
    expect(ids(await search('q=_'))).toEqual(['k4']);
    expect(await search('q=nothing-like-this')).toEqual({ entries: [], total: 0 });
  });

  test('offset and limit page through; total counts every match; no parameters lists everything', async () => {
    const first = await search('limit=2');
    expect(first).toMatchObject({ total: 5 });
    expect(ids(first)).toEqual(['k1', 'k2']);
    expect(ids(await search('limit=2&offset=4'))).toEqual(['k5']);
    const all = await search('');
    expect(all.total).toBe(5);
    expect(all.entries).toHaveLength(5);
    expect((await send('GET', `${kb()}?limit=0`, { token: shopA.apiKey })).status).toBe(400);
    expect((await send('GET', `${kb()}?locale=klingon`, { token: shopA.apiKey })).status).toBe(400);
  });

  test('one entry; add-similar adds once, refuses another locale; unknown ids are 404', async () => {
    expect((await send('GET', `${kb()}/k1`, { token: shopA.apiKey })).body).toMatchObject({
      id: 'k1',
      question: '什么时候发货',
      updatedAt: expect.any(String),
    });
    expect((await send('GET', `${kb()}/nope`, { token: shopA.apiKey })).status).toBe(404);

    const add = (json: object, entry = 'k1') =>
      send('POST', `${kb()}/${entry}/similar`, { token: shopA.apiKey, json });
    const added = await add({ text: '  几号发货 ', locale: 'zh-CN' });
    expect(added.status).toBe(200);
    expect(added.body.similar).toEqual(['多久能发货', '几号发货']);
    expect((await add({ text: '几号发货' })).body.similar).toEqual(['多久能发货', '几号发货']);
    expect((await add({ text: '什么时候发货' })).body.similar).toHaveLength(2);
    expect((await add({ text: 'When?', locale: 'en-US' })).body.error.code).toBe('LOCALE_MISMATCH');
    expect((await add({ text: '' })).status).toBe(400);
    expect((await add({ text: 'x' }, 'nope')).status).toBe(404);
    expect(
      (await send('GET', `${kb()}?q=${encodeURIComponent('几号')}`, { token: shopA.apiKey })).body.total,
    ).toBe(1);
  });
});

describe('who may', () => {
  test('editors import with the CSRF token; agents may not; other shops and strangers are refused', async () => {
    const csv = 'question,answer\n编辑导入的问题,答案\n';
    const ok = await importFile(csv, 'text/csv', true, { token: undefined, session: editorA });
    expect(ok).toMatchObject({ status: 200, body: { valid: 1 } });
    const noCsrf = await importFile(csv, 'text/csv', true, {
      token: undefined,
      session: editorA,
      csrf: false,
    });
    expect(noCsrf).toMatchObject({ status: 403, body: { error: { code: 'CSRF_FAILED' } } });
    const agent = await importFile(csv, 'text/csv', true, { token: undefined, session: agentA });
    expect(agent).toMatchObject({ status: 403, body: { error: { code: 'ROLE_FORBIDDEN' } } });
    expect((await send('GET', kb(), { session: agentA })).status).toBe(403);
    expect((await send('GET', `${kb()}/export`, { session: agentA })).status).toBe(403);

    expect((await importFile(csv, 'text/csv', true, { token: shopB.apiKey })).status).toBe(403);
    expect((await send('GET', `${kb()}/export`, { token: shopB.apiKey })).status).toBe(403);
    expect((await send('GET', `${kb()}/k1`, { token: shopB.apiKey })).status).toBe(403);
    expect(
      (await send('POST', `${kb()}/k1/similar`, { token: shopB.apiKey, json: { text: 'x' } })).status,
    ).toBe(403);
    expect((await importFile(csv, 'text/csv', true, { token: undefined })).status).toBe(401);
    expect((await send('GET', `${kb()}/template`)).status).toBe(401);
  });
});
