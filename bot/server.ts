import http from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Express } from 'express';
import { errorHandler, rejectNulInUrl } from './http';
import { errors } from './errors';
import type { Platform } from './platform';

/** A channel or the admin: mounts its routes, and may take WebSocket upgrades on its paths. */
export interface HttpModule {
  id: string;
  mount(app: Express): void;
  /** The module's rows of the OpenAPI document (`paths`), built from the zod schemas its routes validate with. */
  openApiPaths?: Record<string, unknown>;
  /** Connections that are not HTTP (an MQTT broker), opened once the server listens. */
  start?(): Promise<void>;
  /** Returns true when it took the upgrade. */
  upgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Stop accepting work and close long-lived connections (WebSocket, SSE). */
  close?(): Promise<void>;
}

export interface KefuServer {
  app: Express;
  server: http.Server;
  listen(port: number, host: string): Promise<{ port: number; host: string }>;
  /** Graceful: stop accepting, finish turns in flight, close connections and the database. */
  shutdown(timeoutMs?: number): Promise<void>;
}

export function createServer(platform: Platform, modules: HttpModule[]): KefuServer {
  const { log, metrics } = platform;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use((req, res, next) => {
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route: String(route), status: String(res.statusCode) });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = !shuttingDown && (await platform.ready());
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use(rejectNulInUrl);
  for (const module of modules) module.mount(app);

  app.use((_req, _res) => {
    throw errors.notFound('Route');
  });
  app.use(errorHandler(log));

  const server = http.createServer(app);
  server.keepAliveTimeout = 5000;
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (shuttingDown) return socket.destroy();
    for (const module of modules) if (module.upgrade?.(req, socket, head)) return;
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  let shuttingDown = false;
  return {
    app,
    server,
    async listen(port, host) {
      const bound = await new Promise<{ port: number; host: string }>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address();
          resolve({ port: typeof addr === 'object' && addr ? addr.port : port, host });
        });
      });
      for (const module of modules) await module.start?.();
      return bound;
    },
    async shutdown(timeoutMs = 10_000) {
      if (shuttingDown) return;
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled(modules.map((m) => m.close?.()));
      const deadline = Date.now() + timeoutMs;
      while (platform.turns.turnsInFlight > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      server.closeAllConnections();
      await closed;
      await platform.close();
    },
  };
}
