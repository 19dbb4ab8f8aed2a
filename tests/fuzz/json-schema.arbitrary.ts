import fc from 'fast-check';

/**
 * Malformed request bodies derived from the JSON Schemas of the OpenAPI document (which are
 * generated from the zod schemas the routes validate with): a plausible body with one part broken,
 * whole-body junk, and byte-level damage (truncated JSON, invalid UTF-8, prototype keys, numbers
 * out of range, deep nesting, wrong content types).
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  default?: unknown;
}

/** One request body as bytes, with the content type it is sent under. */
export interface RawBody {
  contentType: string | undefined;
  bytes: Uint8Array;
  /** Which kind of damage, for the report. */
  kind: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resolve = (ref: string) => JsonSchema | undefined;

/** A value the schema (roughly) accepts: the skeleton the mutations break. */
export function plausible(schema: JsonSchema, resolve: Resolve, depth = 0): fc.Arbitrary<Json> {
  if (schema.$ref) {
    const target = resolve(schema.$ref);
    return target && depth < 6 ? plausible(target, resolve, depth + 1) : fc.constant(null);
  }
  if (schema.const !== undefined) return fc.constant(schema.const as Json);
  if (schema.enum?.length) return fc.constantFrom(...(schema.enum as Json[]));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((s) => plausible(s, resolve, depth + 1)));
  if (schema.allOf?.length) return plausible(schema.allOf[0]!, resolve, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string': {
      if (schema.pattern) {
        try {
          return fc
            .stringMatching(new RegExp(schema.pattern))
            .filter((s) => s.length <= (schema.maxLength ?? 10_000));
        } catch {
          return fc.constant('x');
        }
      }
      const min = schema.minLength ?? 1;
      return fc.string({ minLength: min, maxLength: Math.min(schema.maxLength ?? 20, min + 20) });
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 100, 1_000_000) });
    case 'number':
      return fc.double({ min: schema.minimum ?? 0, max: schema.maximum ?? 100, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const min = schema.minItems ?? 0;
      return fc.array(schema.items ? plausible(schema.items, resolve, depth + 1) : fc.constant(null), {
        minLength: min,
        maxLength: Math.min(schema.maxItems ?? 3, min + 2),
      });
    }
    case 'object':
    case undefined: {
      if (!schema.properties || depth > 6) return fc.constant({});
      const record: Record<string, fc.Arbitrary<Json>> = {};
      for (const [key, sub] of Object.entries(schema.properties))
        record[key] = plausible(sub, resolve, depth + 1);
      return fc.record(record, { requiredKeys: (schema.required ?? []).filter((k) => k in record) });
    }
    default:
      return fc.constant(null);
  }
}

/** Values of the wrong type, too long, lone surrogates, NUL, out of range, deeply nested. */
export const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, '', ' ', [], {}, [null], { '': '' }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom<Json>(1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 5e-324),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom<Json>(
    '\uD800',
    'a\uDC00b',
    '\u0000',
    'x\u0000y',
    '\uFEFF',
    '\u202Eevil',
    '𠮷'.repeat(2001),
    'x'.repeat(70_000),
    "'; DROP TABLE messages; --",
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '{{constructor.constructor}}',
    '2026-13-45T25:61:61Z',
  ),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.integer({ min: 20, max: 2000 }).map((n) => nested(n)),
);

/** An array nested `n` levels deep. */
function nested(n: number): Json {
  let v: Json = 'deep';
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

type Path = (string | number)[];

/** Every path into a JSON value (objects and arrays), the root included. */
function pathsOf(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  // Not into the deeply nested values a previous edit put there.
  if (prefix.length > 12) return out;
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

function containerAt(value: Json, path: Path): Json | undefined {
  let node: Json | undefined = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, Json>)[key as string];
  }
  return node;
}

/** Keys a server must never treat as anything but data. */
export const EVIL_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '',
  ' ',
  '$where',
  'toString',
  'hasOwnProperty',
];

type Mutation = 'wrong-type' | 'delete' | 'extra-key' | 'proto-key';

/** A plausible body with one to three parts broken (a field of the wrong type, missing, or extra). */
export function mutatedBody(
  schema: JsonSchema,
  resolve: Resolve,
): fc.Arbitrary<{ text: string; kind: string }> {
  return fc
    .tuple(
      plausible(schema, resolve),
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.constantFrom<Mutation>('wrong-type', 'wrong-type', 'delete', 'extra-key', 'proto-key'),
          wrongValue,
          fc.oneof(fc.constantFrom(...EVIL_KEYS), fc.string({ maxLength: 10 })),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([base, edits]) => {
      let value: Json = structuredClone(base);
      const kinds: string[] = [];
      let protoText = '';
      for (const [pick, mutation, bad, key] of edits) {
        const paths = pathsOf(value);
        const path = paths[pick % paths.length]!;
        if (path.length === 0 && mutation === 'wrong-type') {
          value = bad;
          kinds.push('root');
          continue;
        }
        const parentPath = path.length ? path.slice(0, -1) : path;
        const parent = containerAt(value, parentPath);
        const last = path.at(-1);
        if (mutation === 'proto-key') {
          // Written into the text: assigning __proto__ on an object would set its prototype instead.
          protoText = `"${key === '' ? '__proto__' : key}":{"polluted":"yes","isAdmin":true},`;
          kinds.push('proto-key');
        } else if (parent && typeof parent === 'object' && last !== undefined) {
          const bag = parent as Record<string, Json>;
          if (mutation === 'delete' && !Array.isArray(parent)) delete bag[last as string];
          else if (mutation === 'extra-key' && !Array.isArray(parent))
            Object.defineProperty(bag, key, {
              value: bad,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          else bag[last as string] = bad;
          kinds.push(mutation);
        } else {
          value = bad;
          kinds.push('root');
        }
      }
      let text = JSON.stringify(value) ?? 'null';
      if (protoText)
        text = text.startsWith('{}') ? `{${protoText.slice(0, -1)}}` : text.replace(/^\{/, `{${protoText}`);
      return { text, kind: kinds.join('+') };
    });
}

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8'];
const WRONG_TYPES = [
  undefined,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/*+json',
  'application/merge-patch+json',
  'text/csv',
  ';;;',
];

/** Whole bodies that are wrong as a whole: raw text, truncated or broken JSON, huge or deep. */
const rawText: fc.Arbitrary<{ text: string; kind: string }> = fc.oneof(
  fc.string({ maxLength: 200 }).map((text) => ({ text, kind: 'text' })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ text: JSON.stringify(v), kind: 'json' })),
  fc
    .constantFrom(
      '',
      '{',
      '}',
      '{"',
      '{"a":',
      '{"a":1,}',
      "{'a':1}",
      '{"a":1}{"b":2}',
      '[1,2',
      'null',
      'true',
      '0',
      '-0',
      '"string"',
      '1e400',
      '-1e400',
      '123456789012345678901234567890',
      'NaN',
      'Infinity',
      '{"a":1e999999}',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
      '{"a":"\\x00"}',
      '{"a":1,"a":{"b":2}}',
      '{"__proto__":{"polluted":"yes"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '\uFEFF{}',
      '/* c */ {}',
    )
    .map((text) => ({ text, kind: 'raw' })),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => ({ text: '['.repeat(n), kind: 'deep-open' })),
  fc
    .integer({ min: 500, max: 20_000 })
    .map((n) => ({ text: `${'['.repeat(n)}${']'.repeat(n)}`, kind: 'deep' })),
  fc
    .integer({ min: 100, max: 5_000 })
    .map((n) => ({ text: `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`, kind: 'deep-object' })),
  fc.constantFrom(300_000, 1_100_000).map((n) => ({ text: `{"text":"${'x'.repeat(n)}"}`, kind: 'huge' })),
);

const utf8 = new TextEncoder();
const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe0, 0xa4],
  [0x00],
];

/** Bytes-level damage to a text: cut short, invalid UTF-8 spliced in, or left alone. */
function damage(text: string): fc.Arbitrary<{ bytes: Uint8Array; damage: string }> {
  const bytes = utf8.encode(text);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({ bytes, damage: '' }) },
    {
      weight: 1,
      arbitrary: fc.nat({ max: Math.max(0, bytes.length - 1) }).map((at) => ({
        bytes: bytes.slice(0, at),
        damage: '+truncated',
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat({ max: bytes.length }), fc.constantFrom(...INVALID_UTF8))
        .map(([at, bad]) => ({
          bytes: Uint8Array.from([...bytes.slice(0, at), ...bad, ...bytes.slice(at)]),
          damage: '+bad-utf8',
        })),
    },
  );
}

/** A malformed body for an endpoint whose JSON body has `schema`. */
export function malformedJsonBody(schema: JsonSchema | undefined, resolve: Resolve): fc.Arbitrary<RawBody> {
  const texts = schema
    ? fc.oneof({ weight: 3, arbitrary: mutatedBody(schema, resolve) }, { weight: 2, arbitrary: rawText })
    : rawText;
  return fc
    .tuple(
      texts,
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...JSON_TYPES) },
        { weight: 1, arbitrary: fc.constantFrom(...WRONG_TYPES) },
      ),
    )
    .chain(([{ text, kind }, contentType]) =>
      damage(text).map(({ bytes, damage: d }) => ({
        contentType,
        bytes,
        kind: `${kind}${d}${contentType && JSON_TYPES.includes(contentType) ? '' : '+wrong-type'}`,
      })),
    );
}

/** A malformed CSV (or anything) for the knowledge import. */
export const malformedUpload: fc.Arbitrary<RawBody> = fc
  .tuple(
    fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constantFrom(
        '',
        'id,locale,question,similar,answer',
        'id,locale,question,similar,answer\n,,,,\n',
        'id,locale,question,similar,answer\nx,zz,"unterminated,',
        'id,locale,question,similar,answer\n,zh-CN,=cmd|calc!A1,,answer',
        '\uFEFFid;locale\n1;2',
        'PK\u0003\u0004not-a-zip',
        'a,b\n"""\n',
      ),
      fc
        .array(fc.array(fc.string({ maxLength: 20 }), { maxLength: 7 }), { maxLength: 8 })
        .map((rows) => ['id,locale,question,similar,answer', ...rows.map((r) => r.join(','))].join('\n')),
    ),
    fc.constantFrom(
      'text/csv',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/json',
      undefined,
    ),
  )
  .chain(([text, contentType]) =>
    damage(text).map(({ bytes, damage: d }) => ({ contentType, bytes, kind: `upload${d}` })),
  );

/** A percent-encoded string; a lone surrogate becomes a malformed escape, which is fine to send too. */
export function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

const queryValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '',
    '-1',
    '0',
    '1e309',
    '99999999999999999999',
    'NaN',
    'true',
    'yes',
    '2026-13-45',
    '2026-02-30T00:00:00Z',
    '1970-01-01',
    '9999-12-31T23:59:59Z',
    'xlsx',
    'csv',
    'pdf',
    'x'.repeat(5000),
    "' OR 1=1 --",
    '%',
    '\uD800',
  ),
);

/** A query string made of the endpoint's own parameter names (and others), with bad values. */
export function malformedQuery(names: string[]): fc.Arbitrary<string> {
  const name = names.length
    ? fc.oneof(fc.constantFrom(...names), fc.constantFrom(...EVIL_KEYS))
    : fc.constantFrom(...EVIL_KEYS);
  return fc.oneof(
    fc
      .array(
        fc.tuple(
          fc.oneof({ weight: 4, arbitrary: name }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }),
          queryValue,
        ),
        {
          minLength: 1,
          maxLength: 6,
        },
      )
      .map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')),
    fc.constantFrom(
      '%',
      '%E0%A4%A',
      '%ED%A0%80=1',
      'a[b][c]=1',
      '__proto__[polluted]=yes',
      'constructor[prototype][polluted]=yes',
      'limit=1&limit=2',
      '&&&==&',
      `q=${'a'.repeat(10_000)}`,
      'from=2026-01-01&to=2025-01-01',
    ),
  );
}

/** A path segment that is not a valid id: too long, encoded slashes and dots, bad escapes, control bytes. */
export const malformedSegment: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }).map(enc),
  fc.constantFrom(
    '%',
    '%E0%A4%A',
    '%ED%A0%80',
    '%00',
    '%2F',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    'x'.repeat(300),
    '-1',
    '0',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    "'%20OR%201=1",
    '%F0%9F%98%80',
  ),
);
