import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import { browserPage } from '../browser-page';

/** The agent workspace page (`/agent`) and its script (`/agent/workspace.js`). */
export function createAgentWorkspace(platform: Platform): HttpModule {
  return browserPage(platform, {
    id: 'agent-workspace',
    title: 'The agent workspace',
    path: '/agent',
    dir: __dirname,
    script: 'workspace',
    unavailableCode: 'WORKSPACE_UNAVAILABLE',
  });
}
