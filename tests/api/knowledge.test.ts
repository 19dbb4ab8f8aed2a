import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// Shops of every size publish and answer their own questions, over the public API (issue 9).
let srv: TestServer;

interface Shop {
  id: string;
  apiKey: string;
}

async function createShop(name: string): Promise<Shop> {
  const res = await api(srv.url, 'POST', '/api/v1/shops', {
    token: srv.adminToken,
    body: { name, locales: ['zh-CN', 'en-US'] },
  });
  expect(res.status).toBe(201);
  return res.body;
}

async function saveEntries(shop: Shop, entries: object[]) {
  const res = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/knowledge`, {
    token: shop.apiKey,
    body: { entries },
  });
  expect(res.status).toBe(200);
}

async function publish(shop: Shop) {
  const started = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/publish`, { token: shop.apiKey });
  expect(started.status).toBe(202);
  for (let i = 0; i < 1200; i++) {
    const job = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/jobs/${started.body.jobId}`, {
      token: shop.apiKey,
    });
    if (job.body.state === 'done' || job.body.state === 'failed') return job.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('publish did not finish');
}

let asked = 0;
/** A new anonymous customer each time, as the few-shot measurement asks. */
async function ask(shop: Shop, text: string) {
  const res = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
    body: { userId: `kb-visitor-${++asked}`, text },
  });
  expect(res.status).toBe(200);
  return res.body as { replies: { text: string; quickReplies?: { title: string }[] }[] };
}
const said = (body: { replies: { text: string }[] }) => body.replies.map((r) => r.text).join('\n');

const SHIPPING_ZH = {
  id: 'ship',
  locale: 'zh-CN',
  question: '你们一般几天发货',
  similar: [],
  answer: '付款后48小时内发货。',
};
const RETURNS_EN = {
  id: 'returns',
  locale: 'en-US',
  question: 'Can I return an item I no longer want?',
  similar: ['what is your return policy'],
  answer: 'Unworn items can be returned within 7 days of delivery.',
};
const INVOICE_ZH = {
  id: 'invoice',
  locale: 'zh-CN',
  question: '可以开发票吗',
  similar: ['发票怎么开'],
  answer: '可以开具电子发票，下单时填写抬头即可。',
};

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv.stop());

describe('any shop publishes and answers', () => {
  test('a one-entry shop: publish succeeds; the question and a near-verbatim paraphrase are answered', async () => {
    const shop = await createShop('One entry');
    await saveEntries(shop, [SHIPPING_ZH]);
    expect(await publish(shop)).toMatchObject({ state: 'done', progress: 1 });
    expect(said(await ask(shop, '你们一般几天发货'))).toBe('付款后48小时内发货。');
    expect(said(await ask(shop, '请问多久能发货呀'))).toBe('付款后48小时内发货。');
    expect(said(await ask(shop, '你們一般幾天發貨'))).toBe('付款后48小时内发货。');
    const unrelated = said(await ask(shop, '二手挖掘机的液压泵怎么修'));
    expect(unrelated).not.toContain('48小时');
    expect(unrelated).toMatch(/暂时还不会回答/);
  });

  test('a two-entry shop, zh and en: each question, a paraphrase, and an unrelated fallback', async () => {
    const shop = await createShop('Two entries');
    await saveEntries(shop, [INVOICE_ZH, RETURNS_EN]);
    expect(await publish(shop)).toMatchObject({ state: 'done' });
    expect(said(await ask(shop, '可以开发票吗'))).toBe(INVOICE_ZH.answer);
    expect(said(await ask(shop, '能不能开发票呀'))).toBe(INVOICE_ZH.answer);
    expect(said(await ask(shop, 'Can I return an item I no longer want?'))).toBe(RETURNS_EN.answer);
    expect(said(await ask(shop, 'can i return an item if i dont want it anymore'))).toBe(RETURNS_EN.answer);
    const unrelated = said(await ask(shop, 'what is the capital of France'));
    expect(unrelated).not.toContain('7 days');
    expect(unrelated).toMatch(/don't know the answer/);
  });

  test('an empty shop publishes and admits not knowing', async () => {
    const shop = await createShop('Empty');
    expect(await publish(shop)).toMatchObject({ state: 'done', progress: 1 });
    expect(said(await ask(shop, '你们一般几天发货'))).toMatch(/暂时还不会回答/);
    expect(said(await ask(shop, 'what is your return policy'))).toMatch(/don't know the answer/);
  });

  test('entries saved after a publish are answered at once; a deleted one is gone at once', async () => {
    const shop = await createShop('Between publishes');
    await saveEntries(shop, [INVOICE_ZH, RETURNS_EN]);
    expect(await publish(shop)).toMatchObject({ state: 'done' });
    await saveEntries(shop, [SHIPPING_ZH]);
    expect(said(await ask(shop, '请问多久能发货呀'))).toBe(SHIPPING_ZH.answer);
    // The published entries still answer, through the published model.
    expect(said(await ask(shop, '能开发票吗'))).toBe(INVOICE_ZH.answer);
    const del = await api(srv.url, 'DELETE', `/api/v1/shops/${shop.id}/knowledge/invoice`, {
      token: shop.apiKey,
    });
    expect(del.status).toBe(204);
    expect(said(await ask(shop, '可以开发票吗'))).not.toContain('电子发票');
  });

  test('an unsure match offers the closest questions, one click each', async () => {
    const shop = await createShop('Did you mean');
    await saveEntries(shop, [
      {
        id: 'size',
        locale: 'en-US',
        question: 'How do I choose my size?',
        similar: [],
        answer: 'See the size chart.',
      },
      {
        id: 'colour',
        locale: 'en-US',
        question: 'Which colours does the jacket come in?',
        similar: [],
        answer: 'Black, navy and olive.',
      },
    ]);
    // Halfway to both entries: neither is sure enough to answer.
    const res = await ask(shop, 'jacket sizes');
    expect(said(res)).toMatch(/^Did you mean:$/);
    expect(said(res)).not.toMatch(/size chart|Black, navy/);
    expect(res.replies[0]!.quickReplies!.map((q) => q.title).sort()).toEqual([
      'How do I choose my size?',
      'Which colours does the jacket come in?',
    ]);
  });
});
