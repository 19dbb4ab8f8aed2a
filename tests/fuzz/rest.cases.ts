import fc from 'fast-check';
import {
  type JsonSchema,
  type RawBody,
  malformedJsonBody,
  malformedQuery,
  malformedSegment,
  malformedUpload,
} from './json-schema.arbitrary';

/** One operation of the OpenAPI document, as the REST fuzz sees it. */
export interface Operation {
  method: string;
  /** The templated path, e.g. /api/v1/shops/{shopId}/knowledge/{entryId}. */
  path: string;
  bodySchema?: JsonSchema;
  /** Takes a raw file (the knowledge import) rather than JSON. */
  upload: boolean;
  query: string[];
  pathParams: string[];
  /** Which credentials let a request reach validation. */
  auth: 'admin' | 'shop' | 'none';
}

/** One generated request. */
export interface RestCase {
  op: Operation;
  kind: string;
  path: string;
  query: string;
  body?: RawBody;
}

interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation | { in: string; name: string }[]>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/**
 * Left out: the publish job (a training run per request), the SSE streams (they never end), and
 * pages and scripts outside /api/v1. Everything else in the document is fuzzed.
 */
const SKIPPED = [/\/publish$/, /\/events$/, /\/agent-events$/, /\/openapi\.json$/];

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/') || SKIPPED.some((r) => r.test(path))) continue;
    const shared = (Array.isArray(item.parameters) ? item.parameters : []) as { in: string; name: string }[];
    for (const [method, raw] of Object.entries(item)) {
      if (method === 'parameters' || Array.isArray(raw)) continue;
      const op = raw;
      const params = [...shared, ...(op.parameters ?? [])];
      const content = op.requestBody?.content ?? {};
      const json = content['application/json'];
      ops.push({
        method: method.toUpperCase(),
        path,
        bodySchema: json?.schema,
        upload: !json && Object.keys(content).length > 0,
        query: params.filter((p) => p.in === 'query').map((p) => p.name),
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        auth:
          path === '/api/v1/shops'
            ? 'admin'
            : path.endsWith('/messages') && method === 'post'
              ? 'none'
              : path === '/api/v1/auth/sign-in'
                ? 'none'
                : 'shop',
      });
    }
  }
  return ops;
}

/** The value a path parameter takes when it is not the part being fuzzed. */
function defaultSegment(op: Operation, name: string, shopId: string): string {
  if (name === 'shopId') return shopId;
  if (name === 'entryId') return op.method === 'DELETE' ? 'fz-none' : 'fz-kb-1';
  return 'fz-none';
}

function fill(op: Operation, segments: Record<string, string>): string {
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) => segments[name] ?? 'x');
}

/** Malformed requests for one operation: its body, its query string, its path parameters. */
export function casesFor(
  op: Operation,
  shopId: string,
  resolve: (ref: string) => JsonSchema | undefined,
): fc.Arbitrary<RestCase> {
  const defaults = Object.fromEntries(op.pathParams.map((p) => [p, defaultSegment(op, p, shopId)]));
  const path = fill(op, defaults);
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  const variants: fc.Arbitrary<RestCase>[] = [];
  if (op.bodySchema || (hasBody && !op.upload)) {
    variants.push(
      malformedJsonBody(op.bodySchema, resolve).map((body) => ({
        op,
        kind: `body:${body.kind}`,
        path,
        query: '',
        body,
      })),
    );
  }
  if (op.upload) {
    variants.push(
      fc
        .tuple(malformedUpload, fc.constantFrom('dryRun=true', 'dryRun=false', 'dryRun=maybe', ''))
        .map(([body, query]) => ({ op, kind: body.kind, path, query, body })),
    );
  }
  const emptyBody = (): RawBody | undefined =>
    hasBody
      ? { contentType: 'application/json', bytes: new TextEncoder().encode('{}'), kind: 'empty' }
      : undefined;
  variants.push(
    malformedQuery(op.query).map((query) => ({ op, kind: 'query', path, query, body: emptyBody() })),
  );
  if (op.pathParams.length) {
    variants.push(
      fc.tuple(fc.constantFrom(...op.pathParams), malformedSegment).map(([name, seg]) => ({
        op,
        kind: `path:${name}`,
        path: fill(op, { ...defaults, [name]: seg }),
        query: '',
        body: emptyBody(),
      })),
    );
  }
  return fc.oneof(...variants);
}
