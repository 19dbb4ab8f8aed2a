import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface LabelledText {
  text: string;
  intent: string;
}

const dir = path.join(__dirname, 'data');

function readJsonl(file: string): LabelledText[] {
  return readFileSync(path.join(dir, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const { text, intent } = JSON.parse(line) as LabelledText;
      return { text, intent };
    });
}

export const BUILTIN_LOCALES = ['zh-CN', 'en-US'] as const;

/** The built-in intents' training sentences and out-of-scope sentences (never the held-out files). */
export function builtinTrainingData(): LabelledText[] {
  return BUILTIN_LOCALES.flatMap((l) => [...readJsonl(`train.${l}.jsonl`), ...readJsonl(`oos.${l}.jsonl`)]);
}

/** The held-out split, for the quality gate only. */
export function builtinHeldout(locale: (typeof BUILTIN_LOCALES)[number]): LabelledText[] {
  return [...readJsonl(`heldout.${locale}.jsonl`), ...readJsonl(`oos-heldout.${locale}.jsonl`)];
}
