import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';

/** The agent workspace page (`/agent`) and its script (`/agent/workspace.js`). */
export function createAgentWorkspace(_platform: Platform): HttpModule {
  return { id: 'agent-workspace', mount() {} };
}
