import pino, { type Logger } from 'pino';

export type { Logger };

// Personal data never reaches the logs: phone numbers and street addresses are masked in every
// string the logger writes, and credentials are removed by path.
const MAINLAND_MOBILE = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;
const E164 = /\+\d{1,3}[\s-]?\d{2,4}[\s-]?\d{3,4}[\s-]?\d{2,4}/g;
const ZH_ADDRESS =
  /([\u4e00-\u9fa5]{2,}(?:省|市|自治区))[\u4e00-\u9fa5\d\-号路街道区县镇村弄栋单元室楼]{2,}/g;
const EN_ADDRESS =
  /\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr)\b\.?/g;

export function maskPersonalData(text: string): string {
  return text
    .replace(MAINLAND_MOBILE, '$1****$2')
    .replace(E164, (m) => m.slice(0, 4) + '****' + m.slice(-2))
    .replace(ZH_ADDRESS, '$1***')
    .replace(EN_ADDRESS, '*** [address]');
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPersonalData(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

/**
 * pino's error serializer, then masked: a failed query's parameters (drizzle puts them in the message
 * and the stack, and keeps them as `params`) are customer texts and dialogue state, never logged.
 */
function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as Record<string, unknown>;
  const params = (err as { params?: unknown } | null)?.params;
  if (Array.isArray(params)) {
    const listed = `\nparams: ${String(params)}`;
    for (const key of ['message', 'stack'] as const) {
      if (typeof out[key] === 'string')
        out[key] = (out[key] as string).split(listed).join('\nparams: [redacted]');
    }
    out.params = '[redacted]';
  }
  return maskDeep(out);
}

export function createLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          '*.apiKey',
          '*.identitySecret',
          '*.secret',
          '*.authToken',
          '*.appPassword',
          '*.privateKey',
          '*.userHash',
          '*.token',
        ],
        censor: '[redacted]',
      },
      serializers: { err: serializeError },
      formatters: { log: (obj) => maskDeep(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPersonalData(a) : a)) as Parameters<
            typeof method
          >;
          return method.apply(this, masked);
        },
      },
    },
    opts.destination,
  );
}
