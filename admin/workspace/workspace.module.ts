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

/** The agent workspace page (`/agent`) and its script (`/agent/workspace.js`). */
export function createAgentWorkspace(platform: Platform): HttpModule {
  const { log } = platform;
  // The page's words travel inside it, as a JSON data block the script reads.
  const messages = JSON.stringify(loadCatalog(__dirname)).replace(/</g, '\\u003c');

  return {
    id: 'agent-workspace',
    openApiPaths: {
      '/agent': {
        get: {
          summary: 'The agent workspace (web UI)',
          security: [],
          responses: { '200': { description: 'text/html' } },
        },
      },
      '/agent/workspace.js': {
        get: {
          summary: "The agent workspace's script",
          security: [],
          responses: { '200': { description: 'application/javascript' } },
        },
      },
    },

    mount(app) {
      app.get('/agent', async (_req, res) => {
        const html = (await workspacePage()).replace('__MESSAGES__', () => messages);
        res.set(PAGE_HEADERS).type('html').send(html);
      });

      app.get('/agent/workspace.js', async (req, res) => {
        let js: BrowserScript;
        try {
          js = await workspaceBundle();
        } catch (err) {
          log.error({ err }, 'agent workspace: the script bundle did not build');
          throw new KefuError(
            'WORKSPACE_UNAVAILABLE',
            'The agent workspace is not available right now.',
            500,
          );
        }
        sendScript(req, res, js, {
          'Cache-Control': 'no-cache',
          'X-Content-Type-Options': 'nosniff',
        });
      });
    },
  };
}

/** The workspace script, built from source on first request and kept. */
export const workspaceBundle = browserBundle(path.join(__dirname, 'workspace.ts'));

let pageHtml: Promise<string> | undefined;

function workspacePage(): Promise<string> {
  pageHtml ??= readFile(path.join(__dirname, 'workspace.html'), 'utf8').catch((err: unknown) => {
    pageHtml = undefined;
    throw err;
  });
  return pageHtml;
}
