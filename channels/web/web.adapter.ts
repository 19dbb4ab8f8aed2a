import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Express, Response } from 'express';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { type BrowserScript, browserBundle, sendScript } from '../../bot/browser-bundle';
import { KefuError, errors } from '../../bot/errors';
import { type Catalog, loadCatalog, pickLocale, translate } from '../../bot/i18n';
import { userHashFor, verifyUserHash } from '../../bot/identity';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import { shopDisplayName, shopGreeting } from '../../bot/shop-profile';
import type { Shop } from '../../bot/store/shops.repo';
import { errorResponse, pathParameter, queryParameters } from '../../bot/openapi';
import { closeCodes, socketQuerySchema, type WidgetConfig } from './protocol';
import { WebConnection } from './web.connection';

export interface WebChannelOptions {
  /** How often the server pings each socket; one that missed the previous ping is dropped. */
  heartbeatMs?: number;
  /** Serve the demo shop page at `/` (defaults to the platform's demo setting). */
  demoPage?: boolean;
  /** A socket without a message for this long is closed (checked every heartbeat; KEFU_WS_IDLE_MS). */
  idleMs?: number;
  /** Open sockets per process; beyond it an upgrade gets 503 (KEFU_MAX_WEB_SOCKETS). */
  maxSockets?: number;
}

const WS_PATH = /^\/channels\/web\/([A-Za-z0-9_-]{1,64})\/ws$/;
// Room for 2,000 code points of any script plus the frame around them; longer frames close the socket (1009).
const MAX_FRAME_BYTES = 16 * 1024;
const DEFAULT_LOCALES = ['zh-CN', 'en-US'];

export function createWebChannel(platform: Platform, options: WebChannelOptions = {}): HttpModule {
  const { log, store } = platform;
  const catalog = loadCatalog(__dirname);
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const idleMs = options.idleMs ?? platform.config.webSockets.idleMs;
  const maxSockets = options.maxSockets ?? platform.config.webSockets.max;
  /** Upgraded sockets not yet closed (connections holds only the accepted ones). */
  let sockets = 0;
  const serveDemo = options.demoPage ?? platform.config.demo;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false });
  const connections = new Set<WebConnection>();
  let closing = false;

  const heartbeat = setInterval(() => {
    const idleBefore = Date.now() - idleMs;
    for (const conn of connections) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      if (conn.lastMessageAt < idleBefore) {
        conn.close(closeCodes.idle, 'idle for too long');
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  async function accept(ws: WebSocket, shopId: string, params: URLSearchParams): Promise<void> {
    // An error on one socket (a bad frame, a reset) must never reach the process.
    ws.on('error', (err) => log.debug({ err }, 'web chat: socket error'));
    const query = socketQuerySchema.safeParse(Object.fromEntries(params));
    if (!query.success) return ws.close(closeCodes.badRequest, query.error.issues[0]?.message ?? 'bad query');
    const { visitorId, userId: claimedUserId = '', userHash = '' } = query.data;

    // Frames that arrive while the shop is looked up wait here rather than being lost.
    const early: [RawData, boolean][] = [];
    const hold = (data: RawData, isBinary: boolean) => early.push([data, isBinary]);
    ws.on('message', hold);
    let shop: Shop | undefined;
    try {
      shop = await store.shops.findById(shopId);
    } catch (err) {
      log.error({ err, shopId }, 'web chat: shop lookup failed');
      return ws.close(1011, 'temporarily unavailable');
    }
    ws.off('message', hold);
    if (!shop) return ws.close(closeCodes.shopNotFound, 'unknown shop');
    let userId = `web:${visitorId}`;
    let verified = false;
    if (claimedUserId && userHash) {
      if (!verifyUserHash(shop.identitySecret, claimedUserId, userHash)) {
        return ws.close(closeCodes.unauthorized, 'userHash does not match userId');
      }
      userId = claimedUserId;
      verified = true;
    }
    if (closing || ws.readyState !== ws.OPEN) return ws.terminate();

    const conn = new WebConnection(ws, platform, { shopId, visitorId, userId, verified });
    connections.add(conn);
    ws.on('close', () => connections.delete(conn));
    for (const [data, isBinary] of early) ws.emit('message', data, isBinary);
  }

  return {
    id: 'web',
    openApiPaths: {
      '/channels/web/{shopId}/config': {
        parameters: [pathParameter('shopId')],
        get: {
          summary: "The widget's configuration: the shop's name, locales, greetings and the widget's words",
          security: [],
          responses: {
            '200': { description: 'WidgetConfig (channels/web/protocol.ts)' },
            '404': errorResponse('Unknown shop'),
          },
        },
      },
      '/channels/web/{shopId}/ws': {
        parameters: [pathParameter('shopId'), ...queryParameters(socketQuerySchema)],
        get: {
          summary: 'Web chat widget WebSocket (frames: channels/web/protocol.ts)',
          // Customers: anonymous, or verified by the userHash the shop's page sends.
          security: [],
          responses: { '101': { description: 'upgrade' } },
        },
      },
      '/widget.js': {
        get: {
          summary: 'The chat widget script',
          security: [],
          responses: { '200': { description: 'application/javascript' } },
        },
      },
    },

    mount(app: Express) {
      app.get('/widget.js', async (req, res) => {
        let js: BrowserScript;
        try {
          js = await widgetBundle();
        } catch (err) {
          log.error({ err }, 'web chat: the widget bundle did not build');
          throw new KefuError('WIDGET_UNAVAILABLE', 'The chat widget is not available right now.', 500);
        }
        sendScript(req, res, js, {
          'Cache-Control': 'public, max-age=300',
          'Access-Control-Allow-Origin': '*',
        });
      });

      if (serveDemo) {
        // `/?as=c-1001` plays the shop's page for a logged-in demo customer: it vouches for them
        // with a userHash, as a real shop page would. Without it the visitor is anonymous.
        app.get('/', async (req, res) => {
          let html = await demoPage();
          const as =
            typeof req.query.as === 'string' && DEMO_CUSTOMER.test(req.query.as) ? req.query.as : undefined;
          const shop = as ? await store.shops.findById(DEMO_SHOP) : undefined;
          if (as && shop) {
            html = html.replace(
              `data-shop-id="${DEMO_SHOP}"`,
              `data-shop-id="${DEMO_SHOP}" data-user-id="${as}" data-user-hash="${userHashFor(shop.identitySecret, as)}"`,
            );
          }
          res.set('Cache-Control', 'no-cache').type('html').send(html);
        });
      }

      app.get('/channels/web/:shopId/config', async (req, res: Response) => {
        const shop = await store.shops.findById(String(req.params.shopId));
        if (!shop) throw errors.notFound('Shop');
        const settings = await store.shops.getSettings(shop.id);
        const name = shopDisplayName(shop, settings);
        const locales = shop.locales.length > 0 ? shop.locales : DEFAULT_LOCALES;
        const body: WidgetConfig = {
          shopId: shop.id,
          name,
          locales,
          greeting: Object.fromEntries(
            locales.map((l) => [
              l,
              shopGreeting(settings, l) ?? translate(catalog, l, 'greeting.default', { name }),
            ]),
          ),
          ui: Object.fromEntries(locales.map((l) => [l, widgetStrings(catalog, l)])),
        };
        // Public and read by shop pages on other origins.
        res.set({ 'Cache-Control': 'public, max-age=60', 'Access-Control-Allow-Origin': '*' }).json(body);
      });
    },

    upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = WS_PATH.exec(url.pathname);
      if (!match?.[1]) return false;
      if (closing) {
        socket.destroy();
        return true;
      }
      if (sockets >= maxSockets) {
        // Full: the client (or the balancer) should try again later, or elsewhere.
        socket.end(
          'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
        );
        return true;
      }
      const shopId = match[1];
      wss.handleUpgrade(req, socket, head, (ws) => {
        platform.metrics.webSockets.set(++sockets);
        ws.once('close', () => platform.metrics.webSockets.set(--sockets));
        accept(ws, shopId, url.searchParams).catch((err: unknown) => {
          log.error({ err }, 'web chat: could not accept a socket');
          ws.terminate();
        });
      });
      return true;
    },

    async close() {
      closing = true;
      clearInterval(heartbeat);
      const open = [...connections];
      for (const conn of open) conn.close(closeCodes.goingAway, 'server shutting down');
      // Give clients a moment to answer the close handshake, then cut whoever did not.
      const deadline = Date.now() + 1000;
      while (open.some((c) => c.ws.readyState !== c.ws.CLOSED) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const conn of open) conn.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The widget, built from source on first request and kept. */
export const widgetBundle = browserBundle(path.join(__dirname, 'widget', 'widget.ts'));

const DEMO_SHOP = 'demo';
const DEMO_CUSTOMER = /^c-\d{4}$/;
let demoHtml: Promise<string> | undefined;

function demoPage(): Promise<string> {
  demoHtml ??= readFile(path.join(__dirname, 'demo.html'), 'utf8');
  return demoHtml;
}

/** The `widget.*` messages of a locale, without the prefix: the widget's own words. */
function widgetStrings(catalog: Catalog, locale: string): Record<string, string> {
  const keys = Object.keys(catalog[pickLocale(catalog, locale)] ?? {}).filter((k) => k.startsWith('widget.'));
  return Object.fromEntries(keys.map((k) => [k.slice('widget.'.length), translate(catalog, locale, k)]));
}
