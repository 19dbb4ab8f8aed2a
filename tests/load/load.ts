/** Load generation shared by the benchmarks: N requests at concurrency C, with latencies. */
export interface LoadResult {
  n: number;
  seconds: number;
  latencies: number[];
  errors: number;
}

/** Runs `send(0 … n-1)` from `c` workers; a response whose status `ok` refuses counts as an error. */
export async function load(
  n: number,
  c: number,
  send: (i: number) => Promise<Response>,
  ok: (status: number) => boolean = (s) => s === 200,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t0 = performance.now();
        const res = await send(i).catch(() => undefined);
        if (!res || !ok(res.status)) errors++;
        await res?.arrayBuffer();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { n, seconds: (performance.now() - started) / 1000, latencies, errors };
}

/** Several loads of one endpoint as one: their requests, latencies and errors, their time summed. */
export function combine(results: LoadResult[]): LoadResult {
  return {
    n: results.reduce((sum, r) => sum + r.n, 0),
    seconds: results.reduce((sum, r) => sum + r.seconds, 0),
    latencies: results.flatMap((r) => r.latencies),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
  };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export interface LoadSummary {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export function summary(name: string, r: LoadResult): LoadSummary {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  return {
    name,
    rps: r.n / r.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: r.errors,
  };
}

/** One markdown row per result. */
export function table(unit: string, rows: LoadSummary[]): string {
  return [
    `| endpoint | ${unit}/s | p50 ms | p99 ms | errors |`,
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) => `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`,
    ),
  ].join('\n');
}
