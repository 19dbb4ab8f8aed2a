import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import { browserPage } from '../browser-page';

/** The merchant admin page (`/admin`) and its script (`/admin/admin.js`); it talks only to the public API. */
export function createMerchantAdmin(platform: Platform): HttpModule {
  return browserPage(platform, {
    id: 'merchant-admin',
    title: 'The merchant admin',
    path: '/admin',
    dir: __dirname,
    script: 'admin',
    unavailableCode: 'ADMIN_UNAVAILABLE',
  });
}
