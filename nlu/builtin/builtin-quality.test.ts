import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_CACHE_DIR } from '../../tests/support/builtin-cache';
import type { IntentModelArtifact } from '../classifier/intent-classifier';
import { builtinIntentsKey, loadShopModel, trainBuiltinIntents, trainShopModel } from '../shop-model';
import { BUILTIN_LOCALES, builtinHeldout } from './builtin-data';

/** The quality gate of the built-in intents: held-out accuracy per language, through the bot's parse path. */
const FLOOR = 0.95;

async function builtinIntents(): Promise<IntentModelArtifact> {
  // The global test setup trained it from this same code; train here when run on its own.
  const file = path.join(BUILTIN_CACHE_DIR, `${builtinIntentsKey().replace(/[^\w-]/g, '_')}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : trainBuiltinIntents(null);
}

test.each(BUILTIN_LOCALES.map((l) => [l]))(
  'built-in intents, %s held-out split: accuracy ≥ 0.95 (out-of-scope rows must come back as no intent)',
  async (locale) => {
    const model = loadShopModel(
      await trainShopModel({
        shopId: 'gate',
        locales: [locale],
        knowledge: [],
        baseIntents: await builtinIntents(),
      }),
    );
    const rows = builtinHeldout(locale);
    let correct = 0;
    const misses: string[] = [];
    for (const row of rows) {
      const { intent } = await model.parse({ text: row.text });
      const expected = row.intent === 'oos' ? null : row.intent;
      if (intent === expected) correct++;
      else misses.push(`${row.text} → ${intent} (gold ${row.intent})`);
    }
    const accuracy = correct / rows.length;
    console.log(
      `${locale}: held-out accuracy ${accuracy.toFixed(3)} on ${rows.length} rows; misses:\n${misses.slice(0, 20).join('\n')}`,
    );
    expect(rows.length).toBeGreaterThan(300);
    expect(accuracy).toBeGreaterThanOrEqual(FLOOR);
  },
);
