import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { hashPassword } from '../../bot/auth/password';
import type { Platform } from '../../bot/platform';
import { PUBLISH_JOB } from '../../bot/publish';

export const DEMO_SHOP_ID = 'demo';

const entriesSchema = z.array(
  z.object({
    id: z.string(),
    locale: z.string(),
    question: z.string(),
    similar: z.array(z.string()).default([]),
    answer: z.string(),
  }),
);

export function demoKnowledge() {
  return entriesSchema.parse(parse(readFileSync(path.join(__dirname, 'demo-knowledge.yaml'), 'utf8')));
}

/**
 * Seeds the demo shop once (KEFU_DEMO=1): settings with the built-in demo commerce backend, zh + en
 * knowledge, and a published model. An existing demo shop is left as the merchant last edited it.
 * Returns the API key when the shop was created now (it cannot be shown again later).
 */
export async function seedDemoShop(
  platform: Platform,
): Promise<{ created: boolean; apiKey?: string; owner?: { email: string; password: string } }> {
  const { store } = platform;
  // A demo shop from before the admin had users gets its owner now.
  if (await store.shops.findById(DEMO_SHOP_ID))
    return { created: false, owner: await seedDemoOwner(platform) };
  let created;
  try {
    created = await store.shops.create({
      id: DEMO_SHOP_ID,
      name: 'Kefu 演示商城',
      locales: ['zh-CN', 'en-US'],
    });
  } catch (err) {
    // Another instance seeded it at the same moment.
    if (await store.shops.findById(DEMO_SHOP_ID)) return { created: false };
    throw err;
  }
  await store.shops.mergeSettings(DEMO_SHOP_ID, {
    profile: {
      name: 'Kefu 演示商城',
      greeting: {
        'zh-CN': '您好，欢迎光临 Kefu 演示商城！我是智能客服小K，请问有什么可以帮您？',
        'en-US': "Hi, welcome to the Kefu Demo Store! I'm K, the virtual assistant. How can I help?",
      },
    },
    returnAddress: {
      name: 'Kefu 演示商城售后部',
      phone: '021-60000000',
      address: '上海市浦东新区演示路 88 号 3 号仓',
    },
    commerce: { type: 'demo' },
    fastRefund: { minTier: 3, maxAmount: 500 },
    handoff: { confidenceThreshold: 0.5, lowConfidenceTurns: 2 },
    mode: 'auto',
    businessHours: { timezone: 'Asia/Shanghai', days: [1, 2, 3, 4, 5, 6, 0], open: '09:00', close: '23:00' },
  });
  await store.knowledge.upsert(DEMO_SHOP_ID, demoKnowledge());
  const job = await platform.jobs.enqueue(DEMO_SHOP_ID, PUBLISH_JOB);
  await platform.jobs.waitFor(job.id);
  return { created: true, apiKey: created.apiKey, owner: await seedDemoOwner(platform) };
}

export const DEMO_OWNER_EMAIL = 'owner@demo.kefu.local';

/** The demo shop's owner with a fresh password, once: undefined when the shop has users already. */
async function seedDemoOwner(platform: Platform): Promise<{ email: string; password: string } | undefined> {
  if ((await platform.store.users.count(DEMO_SHOP_ID)) > 0) return undefined;
  const password = randomBytes(9).toString('base64url');
  const created = await platform.store.users.create(DEMO_SHOP_ID, {
    email: DEMO_OWNER_EMAIL,
    name: 'Demo owner',
    role: 'owner',
    passwordHash: await hashPassword(password),
  });
  return created ? { email: DEMO_OWNER_EMAIL, password } : undefined;
}
