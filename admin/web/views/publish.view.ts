import { type Job, shopPath } from '../admin.api';
import { button, el } from '../dom';
import type { AdminContext, View } from '../state';

const POLL_MS = 500;

/** Publish: retrain and re-index, with the job's progress; the bot keeps the old version meanwhile. */
export class PublishView implements View {
  readonly element: HTMLElement;
  private readonly go: HTMLButtonElement;
  private readonly bar: HTMLProgressElement;
  private readonly state: HTMLElement;
  private timer?: number;
  private disposed = false;

  constructor(private readonly ctx: AdminContext) {
    const { i18n } = ctx;
    this.element = el('div', 'view publish', { 'data-testid': 'view-publish' });
    this.go = button(i18n.t('publish.go'), 'publish-go', 'primary');
    this.go.addEventListener('click', () => void this.publish());
    this.bar = el('progress', undefined, {
      max: '100',
      value: '0',
      'data-testid': 'publish-progress',
      hidden: '',
    });
    this.state = el('div', 'status', { role: 'status', 'data-testid': 'publish-state' });
    const panel = el('section', 'panel');
    panel.append(
      el('p', undefined, {}, i18n.t('publish.intro')),
      el('p', 'hint', {}, i18n.t('publish.meanwhile')),
      this.go,
      this.bar,
      this.state,
    );
    const head = el('div', 'view-head');
    head.append(el('h1', undefined, {}, i18n.t('nav.publish')));
    this.element.append(head, panel);
  }

  dispose(): void {
    this.disposed = true;
    window.clearTimeout(this.timer);
  }

  private async publish(): Promise<void> {
    const { i18n } = this.ctx;
    this.go.disabled = true;
    this.bar.hidden = false;
    this.bar.value = 0;
    this.bar.removeAttribute('data-state');
    this.state.textContent = i18n.t('publish.queued');
    this.state.dataset.state = 'queued';
    try {
      const { jobId } = await this.ctx.api.send<{ jobId: string }>(
        'POST',
        shopPath(this.ctx.user.shopId, ['publish']),
      );
      this.poll(jobId);
    } catch (err) {
      this.fail(i18n.errorText(err));
    }
  }

  private poll(jobId: string): void {
    if (this.disposed) return;
    this.timer = window.setTimeout(async () => {
      if (this.disposed) return;
      try {
        const job = await this.ctx.api.get<Job>(shopPath(this.ctx.user.shopId, ['jobs', jobId]));
        this.show(job);
        if (job.state === 'queued' || job.state === 'running') this.poll(jobId);
      } catch (err) {
        this.fail(this.ctx.i18n.errorText(err));
      }
    }, POLL_MS);
  }

  private show(job: Job): void {
    const { i18n } = this.ctx;
    const pct = Math.round(Math.min(1, Math.max(0, job.progress)) * 100);
    this.bar.value = job.state === 'done' ? 100 : pct;
    this.bar.dataset.state = job.state;
    this.state.dataset.state = job.state;
    if (job.state === 'failed') return this.fail(job.error ?? i18n.t('publish.failed'));
    this.state.textContent =
      job.state === 'done' ? i18n.t('publish.done') : i18n.t(`publish.${job.state}`, { pct });
    this.state.classList.remove('bad');
    if (job.state === 'done') this.go.disabled = false;
  }

  private fail(message: string): void {
    this.state.textContent = message;
    this.state.dataset.state = 'failed';
    this.state.classList.add('bad');
    this.go.disabled = false;
  }
}
