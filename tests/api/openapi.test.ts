import { type TestServer, startTestServer } from '../support/server';
import { api } from '../support/http';

/** Express paths (`/api/v1/shops/:shopId`) as OpenAPI writes them (`/api/v1/shops/{shopId}`). */
function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z]+)/g, '{$1}');
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv.stop());

describe('the OpenAPI document', () => {
  test('describes every route the server mounts, with each of its methods', async () => {
    const doc = (await api(srv.url, 'GET', '/api/v1/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const stack = (srv.server.app.router as unknown as { stack: Layer[] }).stack;
    const missing: string[] = [];
    for (const layer of stack) {
      if (!layer.route) continue;
      for (const path of [layer.route.path].flat()) {
        const documented = doc.paths[openApiPath(path)];
        for (const method of Object.keys(layer.route.methods)) {
          if (!documented?.[method]) missing.push(`${method.toUpperCase()} ${path}`);
        }
      }
    }
    // `/` is the demo page, not an API.
    expect(missing.filter((m) => m !== 'GET /')).toEqual([]);
  });

  test('every security scheme an operation names is defined', async () => {
    const doc = (await api(srv.url, 'GET', '/api/v1/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    const named = new Set<string>();
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        for (const requirement of (typeof op === 'object' && op?.security) || []) {
          for (const name of Object.keys(requirement)) named.add(name);
        }
      }
    }
    expect(named.size).toBeGreaterThan(3);
    expect([...named].filter((n) => !(n in doc.components.securitySchemes))).toEqual([]);
  });

  test('request bodies are the schemas the routes validate with', async () => {
    const doc = (await api(srv.url, 'GET', '/api/v1/openapi.json')).body;
    const message =
      doc.paths['/api/v1/shops/{shopId}/messages'].post.requestBody.content['application/json'].schema;
    expect(message).toMatchObject({ type: 'object', required: ['userId'], additionalProperties: false });
    expect(Object.keys(message.properties).sort()).toEqual(
      ['clientMessageId', 'locale', 'payload', 'text', 'userHash', 'userId'].sort(),
    );
    // The settings, as PUT accepts them, down to the channel credentials.
    const settings = doc.components.schemas.Settings;
    expect(settings.properties.channels.properties.twilio.properties).toHaveProperty('authToken');
    expect(settings.properties.handoff.properties.confidenceThreshold).toMatchObject({
      minimum: 0,
      maximum: 1,
    });
    // A field the route refuses is refused by the document too.
    const shop = doc.paths['/api/v1/shops'].post.requestBody.content['application/json'].schema;
    expect(shop).toMatchObject({ additionalProperties: false, required: ['name'] });
    const history = doc.paths['/api/v1/shops/{shopId}/conversations/{conversationId}/messages'].parameters;
    expect(history.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['shopId', 'conversationId', 'after', 'userId', 'userHash']),
    );
  });
});
