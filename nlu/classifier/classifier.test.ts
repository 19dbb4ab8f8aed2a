import { fitTemperature, expectedCalibrationError } from './calibration';
import {
  loadIntentClassifier,
  trainIntentClassifier,
  type IntentExample,
  type IntentModelArtifact,
} from './intent-classifier';
import { carrierNegatives } from './negatives';
import { dequantizeMatrix, quantizeMatrix } from './quantize';
import { createRandom } from './random';

// A small synthetic shop: intent words, shared carrier phrases, a little noise.
const INTENTS: Record<string, string[]> = {
  order_status: [
    'where is my order',
    'track my package',
    'has my parcel shipped',
    'delivery status of order',
  ],
  refund: ['i want a refund', 'give me my money back', 'refund the payment', 'return it for a refund'],
  change_address: [
    'change my shipping address',
    'update the delivery address',
    'wrong address on order',
    'new address please',
  ],
  cancel_order: [
    'cancel my order',
    'i do not want the order anymore',
    'stop the order',
    'cancel the purchase',
  ],
  greeting: ['hello there', 'hi', 'good morning', 'hey how are you'],
};
const CARRIERS = ['', 'please ', 'can you ', 'i need to ', 'could you help me ', 'hi, '];
const TAILS = ['', ' please', ' now', ' asap', ' thanks', ' today'];

function synthetic(seed: number, perIntent: number): IntentExample[] {
  const random = createRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const rows: IntentExample[] = [];
  for (const [intent, phrases] of Object.entries(INTENTS)) {
    for (let i = 0; i < perIntent; i++)
      rows.push({ text: `${pick(CARRIERS)}${pick(phrases)}${pick(TAILS)}`, intent });
  }
  return rows;
}

const UNRELATED = [
  'what is the capital of peru',
  'how many calories are in a banana',
  'the mitochondria is the powerhouse of the cell',
  'play some jazz music',
  'who won the football game last night',
];

describe('intent classifier', () => {
  let artifact: IntentModelArtifact;
  const train = synthetic(1, 30);

  beforeAll(async () => {
    artifact = await trainIntentClassifier(train, { seed: 7, lang: 'en' });
  });

  it('is deterministic for a seed', async () => {
    const again = await trainIntentClassifier(train, { seed: 7, lang: 'en' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(artifact));
  });

  it('serialises to JSON and loads back to identical predictions', () => {
    const direct = loadIntentClassifier(artifact);
    const stored = loadIntentClassifier(JSON.parse(JSON.stringify(artifact)) as IntentModelArtifact);
    for (const text of [...synthetic(2, 3).map((r) => r.text), ...UNRELATED, '', '我要退款']) {
      expect(stored.predict(text)).toEqual(direct.predict(text));
    }
  });

  it('classifies in-scope utterances it has not seen', () => {
    const model = loadIntentClassifier(artifact);
    expect(model.predict('could you track my package please').intent).toBe('order_status');
    expect(model.predict('i would like my money back').intent).toBe('refund');
    expect(model.predict('cancel the order now').intent).toBe('cancel_order');
  });

  it('gives unrelated text clearly lower confidence than in-scope text', () => {
    const model = loadIntentClassifier(artifact);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const inScope = synthetic(3, 4).map((r) => model.predict(r.text).confidence);
    const unrelated = UNRELATED.map((t) => model.predict(t).confidence);
    for (const c of unrelated) expect(c).toBeLessThan(mean(inScope));
    expect(mean(unrelated)).toBeLessThan(mean(inScope) - 0.2);
    // Without out-of-scope training rows only the least confident tail is cut, so a bot-side
    // confidence floor is what turns these into "not understood"; the oos-class test covers null.
    const atHalf = UNRELATED.filter((t) => model.predict(t).confidence < 0.5).length;
    expect(atHalf).toBeGreaterThanOrEqual(1);
  });

  it('uses an oos class when the data has one', async () => {
    const withOos = [
      ...train,
      ...UNRELATED.slice(0, 3)
        .flatMap((t) => [t, `${t} please`])
        .map((text) => ({ text, intent: 'oos' })),
    ];
    const model = loadIntentClassifier(await trainIntentClassifier(withOos, { seed: 3, lang: 'en' }));
    expect(model.labels).not.toContain('oos');
    expect(model.predict('what is the capital of peru').intent).toBeNull();
    expect(model.predict('where is my order').intent).toBe('order_status');
    for (const r of model.predict('refund please').ranking) expect(r.intent).not.toBe('oos');
  });

  it('returns a sane, sorted ranking of probabilities', () => {
    const model = loadIntentClassifier(artifact);
    const p = model.predict('refund my order');
    expect(p.ranking.length).toBeGreaterThan(1);
    let sum = 0;
    for (let i = 0; i < p.ranking.length; i++) {
      const r = p.ranking[i]!;
      expect(r.confidence).toBeGreaterThanOrEqual(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
      if (i > 0) expect(r.confidence).toBeLessThanOrEqual(p.ranking[i - 1]!.confidence);
      sum += r.confidence;
    }
    expect(sum).toBeLessThanOrEqual(1 + 1e-5);
    expect(p.confidence).toBe(p.ranking[0]!.confidence);
  });

  it('is calibrated on held-out data (low expected calibration error)', async () => {
    // Noisy labels make confidence matter: 15% of rows get a random intent.
    const random = createRandom(11);
    const names = Object.keys(INTENTS);
    const noisy = (rows: IntentExample[]): IntentExample[] =>
      rows.map((r) => (random() < 0.15 ? { ...r, intent: names[Math.floor(random() * names.length)]! } : r));
    const model = loadIntentClassifier(
      await trainIntentClassifier(noisy(synthetic(21, 60)), { seed: 5, lang: 'en' }),
    );
    const test = noisy(synthetic(22, 40));
    const preds = test.map((r) => model.predict(r.text));
    const ece = expectedCalibrationError(
      preds.map((p) => p.confidence),
      preds.map((p, i) => p.ranking[0]!.intent === test[i]!.intent),
    );
    expect(ece).toBeLessThan(0.1);
  });

  it('rejects training data with fewer than two intents', async () => {
    await expect(trainIntentClassifier([{ text: 'hi', intent: 'greeting' }])).rejects.toThrow(/two/);
  });
});

describe('calibration helpers', () => {
  it('recovers a known temperature', () => {
    const random = createRandom(3);
    const scores: Float32Array[] = [];
    const gold: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const z = Float32Array.from({ length: 4 }, () => random() * 6);
      // Sample the label from softmax(z / 2).
      const e = Array.from(z, (v) => Math.exp(v / 2));
      const s = e.reduce((a, b) => a + b, 0);
      let u = random() * s;
      let g = 0;
      while (g < 3 && u > e[g]!) u -= e[g++]!;
      scores.push(z);
      gold.push(g);
    }
    expect(fitTemperature(scores, gold)).toBeGreaterThan(1.7);
    expect(fitTemperature(scores, gold)).toBeLessThan(2.3);
  });

  it('quantises weights to int8 per row within half a step', () => {
    const m = Float32Array.from([0.5, -1, 0.25, 0, 0, 0, 3, 2, -3]);
    const back = dequantizeMatrix(quantizeMatrix(m, 3, 3));
    m.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(3 / 127 / 2 + 1e-7));
    expect(Array.from(back.slice(3, 6))).toEqual([0, 0, 0]);
  });

  it('builds carrier negatives without the intent words', () => {
    const texts = [
      'what is my balance',
      'what is my credit score',
      'what is the weather',
      'what is my balance now',
    ];
    const y = Int32Array.from([0, 1, 2, 0]);
    const negs = carrierNegatives(texts, y, 3, { fraction: 1, stem: true, seed: 1, oosLabel: -1 });
    expect(negs.length).toBeGreaterThan(0);
    for (const n of negs) expect(n).not.toMatch(/balance|credit|weather/);
  });
});
