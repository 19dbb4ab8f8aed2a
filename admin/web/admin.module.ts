import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type BrowserScript, browserBundle, sendScript } from '../../bot/browser-bundle';
import { KefuError } from '../../bot/errors';
import { loadCatalog } from '../../bot/i18n';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';

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

/** The merchant admin page (`/admin`) and its script (`/admin/admin.js`); it talks only to the public API. */
export function createMerchantAdmin(platform: Platform): HttpModule {
  const { log } = platform;
  // The page's words (both languages: the page switches without a reload) travel inside it.
  const messages = JSON.stringify(loadCatalog(__dirname)).replace(/</g, '\\u003c');

  return {
    id: 'merchant-admin',
    openApiPaths: {
      '/admin': {
        get: {
          summary: 'The merchant admin (web UI)',
          security: [],
          responses: { '200': { description: 'text/html' } },
        },
      },
      '/admin/admin.js': {
        get: {
          summary: "The merchant admin's script",
          security: [],
          responses: { '200': { description: 'application/javascript' } },
        },
      },
    },

    mount(app) {
      app.get('/admin', async (_req, res) => {
        const html = (await adminPage()).replace('__MESSAGES__', () => messages);
        res.set(PAGE_HEADERS).type('html').send(html);
      });

      app.get('/admin/admin.js', async (req, res) => {
        let js: BrowserScript;
        try {
          js = await adminBundle();
        } catch (err) {
          log.error({ err }, 'merchant admin: the script bundle did not build');
          throw new KefuError('ADMIN_UNAVAILABLE', 'The merchant admin is not available right now.', 500);
        }
        sendScript(req, res, js, {
          'Cache-Control': 'no-cache',
          'X-Content-Type-Options': 'nosniff',
        });
      });
    },
  };
}

/** The admin script, built from source on first request and kept. */
export const adminBundle = browserBundle(path.join(__dirname, 'admin.ts'));

let pageHtml: Promise<string> | undefined;

function adminPage(): Promise<string> {
  pageHtml ??= readFile(path.join(__dirname, 'admin.html'), 'utf8').catch((err: unknown) => {
    pageHtml = undefined;
    throw err;
  });
  return pageHtml;
}
