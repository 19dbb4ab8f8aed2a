import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Intent that marks out-of-scope rows in the benchmark files. */
export const OOS = 'oos';

const rowSchema = z.object({
  text: z.string(),
  intent: z.string().min(1),
  lang: z.string().optional(),
});

export type LabelledRow = z.infer<typeof rowSchema>;

/** Read a JSONL file of rows of `schema`; blank lines are skipped, bad lines fail loudly. */
export function readJsonlRows<T>(path: string, schema: z.ZodType<T>): T[] {
  const rows: T[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new Error(`${path}:${i + 1}: not JSON`);
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success)
        throw new Error(`${path}:${i + 1}: ${parsed.error.issues[0]?.message ?? 'bad row'}`);
      rows.push(parsed.data);
    });
  return rows;
}

/** Read a JSONL file of `{text, intent, lang?}` rows. */
export function readJsonl(path: string): LabelledRow[] {
  return readJsonlRows(path, rowSchema);
}

/** The languages of a file (most frequent first), or the one forced with --lang. */
export function languagesOf(rows: readonly LabelledRow[], forced?: string): string[] {
  if (forced) return [forced];
  const counts = new Map<string, number>();
  for (const r of rows) if (r.lang) counts.set(r.lang, (counts.get(r.lang) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([l]) => l);
}
