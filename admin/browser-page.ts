import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type BrowserScript, browserBundle, sendScript } from '../bot/browser-bundle';
import { KefuError } from '../bot/errors';
import { loadCatalog } from '../bot/i18n';
import type { Platform } from '../bot/platform';
import type { HttpModule } from '../bot/server';

// The page loads only its own script and talks only to its own origin; nothing inline runs.
const PAGE_HEADERS = {
  'Cache-Control': 'no-cache',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

export interface BrowserPageOptions {
  id: string;
  /** What the page is, for the OpenAPI document and the logs ("The merchant admin"). */
  title: string;
  /** `/admin`: the page; its script is served at `${path}/${script}.js`. */
  path: string;
  /** The folder with `<script>.html`, `<script>.ts` and the page's message catalogues. */
  dir: string;
  script: string;
  /** The error code when the script does not build. */
  unavailableCode: string;
}

/**
 * A web page of the admin (the merchant admin, the agent workspace): its HTML under a strict CSP,
 * with both languages' words inside it as a JSON data block (`__MESSAGES__`), and its script
 * bundled from TypeScript on first request.
 */
export function browserPage(platform: Platform, opts: BrowserPageOptions): HttpModule {
  const { log } = platform;
  const messages = JSON.stringify(loadCatalog(opts.dir)).replace(/</g, '\\u003c');
  const bundle = browserBundle(path.join(opts.dir, `${opts.script}.ts`));
  const scriptPath = `${opts.path}/${opts.script}.js`;
  let pageHtml: Promise<string> | undefined;
  const page = () =>
    (pageHtml ??= readFile(path.join(opts.dir, `${opts.script}.html`), 'utf8').catch((err: unknown) => {
      pageHtml = undefined;
      throw err;
    }));

  return {
    id: opts.id,
    openApiPaths: {
      [opts.path]: {
        get: {
          summary: `${opts.title} (web UI)`,
          security: [],
          responses: { '200': { description: 'text/html' } },
        },
      },
      [scriptPath]: {
        get: {
          summary: `${opts.title}: the page's script`,
          security: [],
          responses: { '200': { description: 'application/javascript' } },
        },
      },
    },

    mount(app) {
      app.get(opts.path, async (_req, res) => {
        const html = (await page()).replace('__MESSAGES__', () => messages);
        res.set(PAGE_HEADERS).type('html').send(html);
      });

      app.get(scriptPath, async (req, res) => {
        let js: BrowserScript;
        try {
          js = await bundle();
        } catch (err) {
          log.error({ err }, `${opts.title}: the script bundle did not build`);
          throw new KefuError(opts.unavailableCode, `${opts.title} is not available right now.`, 500);
        }
        sendScript(req, res, js, { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      });
    },
  };
}
