import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Aedes, AuthenticateError, Client } from 'aedes' with { 'resolution-mode': 'import' };
import { safeEqual } from '../../bot/identity';
import type { Logger } from '../../bot/log';

/** The embedded broker (aedes on node:net) that `KEFU_MQTT_EMBEDDED=1` starts next to Kefu. */
export interface EmbeddedBroker {
  /** `mqtt://host:port` as bound (the real port when 0 was asked for). */
  url: string;
  port: number;
  /** The credentials Kefu's own client connects with: only it may publish on `…/out` topics. */
  credentials: { username: string; password: string };
  close(): Promise<void>;
}

/** The user name of Kefu's own client; devices connect anonymously or with any other name. */
export const KEFU_BROKER_USER = 'kefu';

// aedes is an ES module; a plain `import()` here would be compiled to `require()` by the test
// transform (which cannot load it), so the import is built at run time.
const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

/**
 * Starts aedes on `host:port`. Anyone who can reach the port may connect and publish on
 * `kefu/<shop>/devices/<device>/in` (bind it to 127.0.0.1 or a private network), but only Kefu's
 * own client, which logs in with a password made at start, may publish on the `…/out` topics:
 * a device cannot forge replies to another device.
 */
export async function startEmbeddedBroker(opts: {
  host: string;
  port: number;
  log: Logger;
  /** Kefu's password (default: random, made now). */
  password?: string;
}): Promise<EmbeddedBroker> {
  const { log } = opts;
  const { Aedes: AedesClass } = (await importModule('aedes')) as { Aedes: typeof Aedes };
  const password = opts.password ?? randomBytes(24).toString('hex');
  const trusted = new WeakSet<Client>();
  const broker = await AedesClass.createBroker({
    authenticate(client, username, pass, done) {
      if (username !== KEFU_BROKER_USER) return done(null, true);
      if (pass && safeEqual(pass.toString('utf8'), password)) {
        trusted.add(client);
        return done(null, true);
      }
      const err = new Error('bad user name or password') as AuthenticateError;
      Object.assign(err, { returnCode: 4 });
      done(err, false);
    },
    authorizePublish(client, packet, callback) {
      const out = /^kefu\/[^/]+\/devices\/[^/]+\/out$/.test(packet.topic);
      if (out && (!client || !trusted.has(client)))
        return callback(new Error('only Kefu publishes on out topics'));
      callback(null);
    },
  });
  broker.on('clientError', (client, err) =>
    log.debug({ err, clientId: client.id }, 'mqtt broker: client error'),
  );
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    broker.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  log.info({ host: opts.host, port }, 'mqtt: embedded broker listening');
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    credentials: { username: KEFU_BROKER_USER, password },
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
        log.info('mqtt: embedded broker stopped');
      })();
      return closing;
    },
  };
}
