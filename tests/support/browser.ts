import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

// Browser tests drive Debian's headless Chromium. Without it they are skipped with a warning on a
// developer's machine, and fail in CI (CI=true), where .ci/run installs it.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');

const available = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true';

/** `describe` when Chromium can run here (or must, in CI), else `describe.skip` with a warning. */
export function describeInBrowser(name: string, fn: () => void): void {
  if (!available && !mustRun) console.warn(`${name}: skipped, no Chromium at ${CHROMIUM}`);
  (available || mustRun ? describe : describe.skip)(name, fn);
}

export async function launchChromium(): Promise<Browser> {
  if (!available) throw new Error(`CI=true but there is no Chromium at ${CHROMIUM}`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Waits until the widget shows more than `before` bot messages and has stopped typing. */
export async function waitForMoreBotMessages(page: Page, before: number): Promise<void> {
  await page.waitForFunction(
    (n) =>
      (document.querySelector('#kefu-widget')?.shadowRoot?.querySelectorAll('[data-role="bot"]').length ??
        0) > n,
    before,
    { timeout: 20_000 },
  );
  await page.getByTestId('kefu-typing').waitFor({ state: 'hidden' });
}
