import { type ImportResult, shopPath } from '../admin.api';
import { button, el } from '../dom';
import type { AdminContext } from '../state';

const MAX_BYTES = 5 * 1024 * 1024;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * Bulk import: choose a CSV or XLSX file, see every row with its errors (nothing is saved yet),
 * then import the valid rows.
 */
export class ImportPanel {
  readonly element: HTMLElement;
  private readonly file: HTMLInputElement;
  private readonly status: HTMLElement;
  private readonly preview: HTMLElement;
  private chosen?: { file: File; type: string };

  constructor(
    private readonly ctx: AdminContext,
    private readonly onImported: () => void,
  ) {
    const { i18n } = ctx;
    const shopId = ctx.user.shopId;
    this.element = el('section', 'panel', { 'data-testid': 'import-panel' });
    const head = el('div', 'panel-head');
    head.append(el('h2', undefined, {}, i18n.t('import.title')));
    const links = el('div', 'links');
    for (const [key, segment, format] of [
      ['import.template-xlsx', 'template', 'xlsx'],
      ['import.template-csv', 'template', 'csv'],
      ['import.export-xlsx', 'export', 'xlsx'],
      ['import.export-csv', 'export', 'csv'],
    ] as const) {
      links.append(
        el(
          'a',
          'link',
          {
            href: shopPath(shopId, ['knowledge', segment], { format }),
            download: '',
            'data-testid': `${segment}-${format}`,
          },
          i18n.t(key),
        ),
      );
    }
    head.append(links);
    this.file = el('input', undefined, {
      type: 'file',
      accept: '.csv,.xlsx,text/csv,' + XLSX,
      'data-testid': 'import-file',
      'aria-label': i18n.t('import.choose'),
    });
    this.file.addEventListener('change', () => void this.choose());
    this.status = el('div', 'status', { role: 'status', 'data-testid': 'import-status' });
    this.preview = el('div', 'preview');
    this.element.append(
      head,
      el('p', 'hint', {}, i18n.t('import.intro')),
      this.file,
      this.status,
      this.preview,
    );
  }

  private async choose(): Promise<void> {
    const { i18n } = this.ctx;
    const file = this.file.files?.[0];
    this.preview.replaceChildren();
    this.chosen = undefined;
    if (!file) return;
    const name = file.name.toLowerCase();
    const type = name.endsWith('.xlsx') ? XLSX : name.endsWith('.csv') ? 'text/csv' : undefined;
    if (!type) return this.setStatus(i18n.t('import.bad-type'), true);
    if (file.size > MAX_BYTES) return this.setStatus(i18n.t('import.too-big'), true);
    this.chosen = { file, type };
    this.setStatus(i18n.t('import.checking'));
    try {
      const result = await this.run(true);
      this.showPreview(result);
    } catch (err) {
      this.setStatus(i18n.errorText(err), true);
    }
  }

  private run(dryRun: boolean): Promise<ImportResult> {
    const chosen = this.chosen;
    if (!chosen) return Promise.reject(new Error('no file'));
    return this.ctx.api.upload<ImportResult>(
      shopPath(this.ctx.user.shopId, ['knowledge', 'import'], { dryRun: String(dryRun) }),
      chosen.file,
      chosen.type,
    );
  }

  private showPreview(result: ImportResult): void {
    const { i18n } = this.ctx;
    this.setStatus(
      i18n.t('import.summary', { valid: result.valid, invalid: result.invalid }),
      result.invalid > 0,
    );
    const table = el('table', 'grid', { 'data-testid': 'import-preview' });
    const head = el('tr');
    for (const key of ['import.row', 'knowledge.question', 'knowledge.answer', 'import.errors'])
      head.append(el('th', undefined, {}, i18n.t(key)));
    table.append(el('thead'), el('tbody'));
    table.tHead?.append(head);
    const body = table.tBodies[0];
    for (const row of result.rows) {
      const bad = row.errors.length > 0;
      const tr = el('tr', bad ? 'row-error' : undefined, {
        'data-testid': bad ? 'import-row-error' : 'import-row',
        'data-row': String(row.row),
      });
      const errors = el('td', 'errors');
      for (const e of row.errors) errors.append(el('div', undefined, {}, `${e.column}: ${e.message}`));
      tr.append(
        el('td', 'num', {}, String(row.row)),
        el('td', undefined, {}, row.entry?.question ?? ''),
        el('td', 'clip', {}, row.entry?.answer ?? ''),
        errors,
      );
      body?.append(tr);
    }
    const go = button(i18n.t('import.go', { n: result.valid }), 'import-confirm', 'primary');
    go.disabled = result.valid === 0;
    go.addEventListener('click', () => void this.commit(go));
    const again = button(i18n.t('common.cancel'), 'import-cancel');
    again.addEventListener('click', () => this.reset());
    const actions = el('div', 'actions');
    actions.append(again, go);
    const scroller = el('div', 'table-scroll preview-scroll');
    scroller.append(table);
    this.preview.replaceChildren(scroller, actions);
  }

  private async commit(go: HTMLButtonElement): Promise<void> {
    const { i18n } = this.ctx;
    go.disabled = true;
    try {
      const result = await this.run(false);
      this.preview.replaceChildren();
      this.file.value = '';
      this.chosen = undefined;
      this.setStatus(i18n.t('import.done', { n: result.upserted ?? result.valid, invalid: result.invalid }));
      this.status.dataset.state = 'done';
      this.onImported();
    } catch (err) {
      go.disabled = false;
      this.setStatus(i18n.errorText(err), true);
    }
  }

  private reset(): void {
    this.preview.replaceChildren();
    this.file.value = '';
    this.chosen = undefined;
    this.setStatus('');
  }

  private setStatus(text: string, bad = false): void {
    this.status.textContent = text;
    this.status.classList.toggle('bad', bad);
    delete this.status.dataset.state;
  }
}
