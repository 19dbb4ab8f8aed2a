import { type Analytics, type Unanswered, shopPath } from '../admin.api';
import { Chart } from '../charts';
import { button, el, input, isoDay, percent } from '../dom';
import type { AdminContext, View } from '../state';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The dashboard: the figures of a date range (the last 7 days to start), charts by day, channel
 * and intent, and the unanswered questions (九点电台), each one click from the knowledge.
 */
export class DashboardView implements View {
  readonly element: HTMLElement;
  private readonly from: HTMLInputElement;
  private readonly to: HTMLInputElement;
  private readonly status: HTMLElement;
  private readonly kpis: HTMLElement;
  private readonly charts: Chart[] = [];
  private readonly unanswered: HTMLElement;
  private readonly hosts: HTMLElement[];
  private seq = 0;

  constructor(private readonly ctx: AdminContext) {
    const { i18n } = ctx;
    this.element = el('div', 'view dashboard', { 'data-testid': 'view-dashboard' });
    const head = el('div', 'view-head');
    head.append(el('h1', undefined, {}, i18n.t('nav.dashboard')));
    const today = new Date();
    this.from = input(
      'dash-from',
      { type: 'date', 'aria-label': i18n.t('common.from') },
      isoDay(new Date(today.getTime() - 6 * DAY_MS)),
    );
    this.to = input('dash-to', { type: 'date', 'aria-label': i18n.t('common.to') }, isoDay(today));
    const range = el('form', 'toolbar');
    const apply = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'dash-apply' },
      i18n.t('dash.apply'),
    );
    range.append(
      el('span', undefined, {}, i18n.t('common.from')),
      this.from,
      el('span', undefined, {}, i18n.t('common.to')),
      this.to,
      apply,
    );
    range.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.load();
    });
    head.append(range);
    this.status = el('div', 'status', { role: 'status', 'data-testid': 'dash-status' });
    this.kpis = el('div', 'kpis', { 'data-testid': 'dash-kpis' });

    const chartGrid = el('div', 'chart-grid');
    const hosts = ['byDay', 'byChannel', 'topIntents'].map((key) => {
      const box = el('section', 'panel chart-box');
      const host = el('div', 'chart', { 'data-testid': `chart-${key}` });
      box.append(el('h2', undefined, {}, i18n.t(`dash.chart.${key}`)), host);
      chartGrid.append(box);
      return host;
    });
    this.unanswered = el('ul', 'unanswered', { 'data-testid': 'dash-unanswered' });
    const vocBox = el('section', 'panel');
    vocBox.append(
      el('h2', undefined, {}, i18n.t('dash.unanswered')),
      el('p', 'hint', {}, i18n.t('dash.unanswered-hint')),
      this.unanswered,
    );
    this.element.append(head, this.status, this.kpis, chartGrid, vocBox);
    this.hosts = hosts;
  }

  attached(): void {
    // The charts measure their boxes: create them once the view is laid out in the page.
    for (const host of this.hosts) this.charts.push(new Chart(host, this.ctx.i18n.locale));
    void this.load();
  }

  dispose(): void {
    this.seq++;
    for (const c of this.charts) c.dispose();
  }

  private async load(): Promise<void> {
    const { i18n } = this.ctx;
    if (!this.from.value || !this.to.value || this.from.value > this.to.value) {
      this.status.textContent = i18n.t('error.range');
      this.status.classList.add('bad');
      return;
    }
    const seq = ++this.seq;
    this.status.textContent = i18n.t('common.loading');
    this.status.classList.remove('bad');
    try {
      const data = await this.ctx.api.get<Analytics>(
        // Days, which the API reads in the shop's time zone; `to` is exclusive, so the day after.
        shopPath(this.ctx.user.shopId, ['analytics'], { from: this.from.value, to: nextDay(this.to.value) }),
      );
      if (seq !== this.seq) return;
      this.status.textContent = '';
      this.render(data);
    } catch (err) {
      if (seq !== this.seq) return;
      this.status.textContent = i18n.errorText(err);
      this.status.classList.add('bad');
    }
  }

  private render(data: Analytics): void {
    const { i18n } = this.ctx;
    const kpi = (key: string, value: string, sub?: string) => {
      const card = el('div', 'kpi', { 'data-testid': `kpi-${key}` });
      card.append(el('div', 'kpi-label', {}, i18n.t(`dash.kpi.${key}`)), el('div', 'kpi-value', {}, value));
      if (sub) card.append(el('div', 'muted', {}, sub));
      return card;
    };
    this.kpis.replaceChildren(
      kpi('conversations', i18n.number(data.conversations)),
      kpi('selfService', percent(data.selfServiceRate)),
      kpi('handoff', percent(data.handoffRate)),
      kpi('fallback', percent(data.fallbackRate)),
      kpi(
        'satisfaction',
        percent(data.satisfaction),
        data.satisfactionResponses !== undefined
          ? i18n.t('dash.responses', { n: data.satisfactionResponses })
          : undefined,
      ),
    );
    const [byDay, byChannel, topIntents] = this.charts;
    byDay?.set({
      grid: { left: 40, right: 16, top: 30, bottom: 30 },
      legend: { top: 0 },
      xAxis: { type: 'category', data: data.byDay.map((d) => d.day.slice(5)) },
      yAxis: { type: 'value', minInterval: 1 },
      tooltip: { trigger: 'axis' },
      series: [
        {
          name: i18n.t('dash.series.conversations'),
          type: 'line',
          data: data.byDay.map((d) => d.conversations),
        },
        { name: i18n.t('dash.series.handoffs'), type: 'line', data: data.byDay.map((d) => d.handoffs ?? 0) },
        {
          name: i18n.t('dash.series.fallbacks'),
          type: 'line',
          data: data.byDay.map((d) => d.fallbacks ?? 0),
        },
      ],
    });
    const channels = Object.entries(data.byChannel).filter(([, n]) => n > 0);
    byChannel?.set({
      tooltip: { trigger: 'item' },
      legend: { bottom: 0 },
      series: [
        {
          type: 'pie',
          radius: ['35%', '65%'],
          data: channels.map(([c, n]) => ({ name: i18n.label('channel', c), value: n })),
        },
      ],
    });
    const intents = data.topIntents.slice(0, 10).reverse();
    topIntents?.set({
      grid: { left: 8, right: 24, top: 10, bottom: 20, containLabel: true },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: intents.map((i) => i.intent) },
      tooltip: { trigger: 'axis' },
      series: [{ type: 'bar', data: intents.map((i) => i.count) }],
    });
    this.element.dataset.loaded = 'true';
    this.renderUnanswered(data.unanswered);
  }

  private renderUnanswered(items: Unanswered[]): void {
    const { i18n } = this.ctx;
    if (!items.length) {
      this.unanswered.replaceChildren(el('li', 'muted', {}, i18n.t('dash.unanswered-none')));
      return;
    }
    this.unanswered.replaceChildren(
      ...items.map((u) => {
        const li = el('li', 'item', { 'data-testid': 'unanswered-item' });
        const row = el('div', 'item-row');
        row.append(
          el('span', 'count', {}, String(u.count)),
          el('span', 'strong', { 'data-testid': 'unanswered-text' }, u.text),
        );
        li.append(row);
        const others = u.examples.filter((x) => x !== u.text);
        if (others.length)
          li.append(el('div', 'muted', {}, i18n.t('dash.examples', { list: others.join(' / ') })));
        const actions = el('div', 'item-actions');
        const add = button(i18n.t('dash.add-entry'), 'unanswered-add');
        add.addEventListener('click', () =>
          this.ctx.navigate('knowledge', {
            newEntry: {
              locale: /[\u4e00-\u9fff]/.test(u.text) ? 'zh-CN' : 'en-US',
              question: u.text,
              similar: others,
              answer: '',
            },
          }),
        );
        actions.append(add);
        const suggested = u.suggestedEntry;
        if (suggested) {
          const similar = button(
            i18n.t('dash.add-similar', { question: suggested.question }),
            'unanswered-similar',
          );
          similar.addEventListener('click', () => void this.addSimilar(u, suggested.id, similar));
          actions.append(similar);
        }
        li.append(actions);
        return li;
      }),
    );
  }

  private async addSimilar(u: Unanswered, entryId: string, btn: HTMLButtonElement): Promise<void> {
    const { i18n } = this.ctx;
    btn.disabled = true;
    try {
      await this.ctx.api.send('POST', shopPath(this.ctx.user.shopId, ['knowledge', entryId, 'similar']), {
        text: u.text,
      });
      btn.textContent = i18n.t('dash.added');
      this.ctx.notify(i18n.t('dash.added-similar'), 'info');
    } catch (err) {
      btn.disabled = false;
      this.ctx.reportError(err);
    }
  }
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}
