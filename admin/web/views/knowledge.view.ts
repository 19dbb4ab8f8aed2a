import { type KnowledgeEntry, shopPath } from '../admin.api';
import { button, el, input, select } from '../dom';
import type { AdminContext, RouteArgs, View } from '../state';
import { EntryEditor } from './entry-editor.view';
import { ImportPanel } from './import.view';

const PAGE = 50;

/** The shop's knowledge: search, page through, create, edit, delete; import and export below. */
export class KnowledgeView implements View {
  readonly element: HTMLElement;
  private readonly q: HTMLInputElement;
  private readonly locale: HTMLSelectElement;
  private readonly rows: HTMLElement;
  private readonly status: HTMLElement;
  private readonly pager: HTMLElement;
  private readonly editor: EntryEditor;
  private readonly newEntry?: RouteArgs['newEntry'];
  private offset = 0;
  private loadSeq = 0;

  constructor(
    private readonly ctx: AdminContext,
    args: RouteArgs,
  ) {
    const { i18n } = ctx;
    this.element = el('div', 'view knowledge', { 'data-testid': 'view-knowledge' });
    const head = el('div', 'view-head');
    const create = button(i18n.t('knowledge.new'), 'knowledge-new', 'primary');
    create.addEventListener('click', () => this.editor.open());
    head.append(el('h1', undefined, {}, i18n.t('nav.knowledge')), create);

    const search = el('form', 'toolbar', { role: 'search' });
    this.q = input('knowledge-q', {
      type: 'search',
      placeholder: i18n.t('knowledge.search'),
      'aria-label': i18n.t('knowledge.search'),
    });
    this.locale = select('knowledge-locale', [
      { value: '', label: i18n.t('knowledge.all-locales') },
      { value: 'zh-CN', label: i18n.t('locale.zh-CN') },
      { value: 'en-US', label: i18n.t('locale.en-US') },
    ]);
    this.locale.setAttribute('aria-label', i18n.t('knowledge.locale'));
    const go = el(
      'button',
      undefined,
      { type: 'submit', 'data-testid': 'knowledge-search' },
      i18n.t('common.search'),
    );
    search.append(this.q, this.locale, go);
    search.addEventListener('submit', (e) => {
      e.preventDefault();
      this.offset = 0;
      void this.load();
    });
    this.locale.addEventListener('change', () => {
      this.offset = 0;
      void this.load();
    });

    this.status = el('div', 'status', { role: 'status', 'data-testid': 'knowledge-status' });
    const table = el('table', 'grid', { 'data-testid': 'knowledge-table' });
    const headRow = el('tr');
    for (const key of [
      'knowledge.question',
      'knowledge.answer',
      'knowledge.locale',
      'knowledge.updated',
      'common.actions',
    ])
      headRow.append(el('th', undefined, {}, i18n.t(key)));
    const thead = el('thead');
    thead.append(headRow);
    this.rows = el('tbody');
    table.append(thead, this.rows);
    const scroller = el('div', 'table-scroll');
    scroller.append(table);
    this.pager = el('div', 'pager');

    this.editor = new EntryEditor(ctx, () => {
      ctx.notify(i18n.t('knowledge.saved'), 'info');
      void this.load();
    });
    const importPanel = new ImportPanel(ctx, () => {
      this.offset = 0;
      void this.load();
    });
    const list = el('section', 'panel');
    list.append(search, this.status, scroller, this.pager);
    this.element.append(head, importPanel.element, list, this.editor.element);
    this.newEntry = args.newEntry;
    void this.load();
  }

  attached(): void {
    // A modal dialog opens only once it is in the document.
    if (this.newEntry) this.editor.open(this.newEntry);
  }

  dispose(): void {
    if (this.editor.element.open) this.editor.element.close();
  }

  private async load(): Promise<void> {
    const { i18n } = this.ctx;
    const seq = ++this.loadSeq;
    this.status.textContent = i18n.t('common.loading');
    this.status.classList.remove('bad');
    try {
      const res = await this.ctx.api.get<{ entries: KnowledgeEntry[]; total?: number }>(
        shopPath(this.ctx.user.shopId, ['knowledge'], {
          q: this.q.value.trim(),
          locale: this.locale.value,
          offset: this.offset,
          limit: PAGE,
        }),
      );
      if (seq !== this.loadSeq) return;
      // An older server answers with every entry and no total: page it here.
      const all = res.total === undefined;
      const total = res.total ?? res.entries.length;
      const entries = all ? res.entries.slice(this.offset, this.offset + PAGE) : res.entries;
      this.render(entries, total);
    } catch (err) {
      if (seq !== this.loadSeq) return;
      this.status.textContent = i18n.errorText(err);
      this.status.classList.add('bad');
    }
  }

  private render(entries: KnowledgeEntry[], total: number): void {
    const { i18n } = this.ctx;
    this.status.textContent = total ? i18n.t('knowledge.count', { n: total }) : i18n.t('knowledge.empty');
    this.rows.replaceChildren(...entries.map((e) => this.row(e)));
    const prev = button(i18n.t('common.prev'), 'knowledge-prev');
    const next = button(i18n.t('common.next'), 'knowledge-next');
    prev.disabled = this.offset === 0;
    next.disabled = this.offset + PAGE >= total;
    prev.addEventListener('click', () => {
      this.offset = Math.max(0, this.offset - PAGE);
      void this.load();
    });
    next.addEventListener('click', () => {
      this.offset += PAGE;
      void this.load();
    });
    const pages = Math.max(1, Math.ceil(total / PAGE));
    this.pager.replaceChildren(
      prev,
      el('span', undefined, {}, i18n.t('common.page', { page: Math.floor(this.offset / PAGE) + 1, pages })),
      next,
    );
  }

  private row(entry: KnowledgeEntry): HTMLElement {
    const { i18n } = this.ctx;
    const tr = el('tr', undefined, { 'data-testid': 'knowledge-row', 'data-id': entry.id });
    const q = el('td');
    q.append(el('div', 'strong', {}, entry.question));
    if (entry.similar.length)
      q.append(el('div', 'muted', {}, i18n.t('knowledge.similar-count', { n: entry.similar.length })));
    const answer = el('td', 'clip');
    answer.append(el('div', 'clamp', {}, entry.answer));
    const actions = el('td', 'row-actions');
    const edit = button(i18n.t('common.edit'), 'knowledge-edit');
    edit.addEventListener('click', () => this.editor.open(entry));
    const del = button(i18n.t('common.delete'), 'knowledge-delete', 'danger');
    del.addEventListener('click', () => this.confirmDelete(entry, actions, edit, del));
    actions.append(edit, del);
    tr.append(
      q,
      answer,
      el('td', undefined, {}, i18n.label('locale', entry.locale)),
      el('td', 'muted', {}, i18n.dateTime(entry.updatedAt)),
      actions,
    );
    return tr;
  }

  /** Deleting asks once more, in the row itself. */
  private confirmDelete(entry: KnowledgeEntry, cell: HTMLElement, ...restore: HTMLElement[]): void {
    const { i18n } = this.ctx;
    const yes = button(i18n.t('knowledge.delete-yes'), 'knowledge-delete-confirm', 'danger');
    const no = button(i18n.t('common.cancel'), 'knowledge-delete-cancel');
    no.addEventListener('click', () => cell.replaceChildren(...restore));
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await this.ctx.api.send('DELETE', shopPath(this.ctx.user.shopId, ['knowledge', entry.id]));
        this.ctx.notify(i18n.t('knowledge.deleted'), 'info');
        void this.load();
      } catch (err) {
        yes.disabled = false;
        this.ctx.reportError(err);
      }
    });
    cell.replaceChildren(el('span', 'confirm', {}, i18n.t('knowledge.delete-confirm')), yes, no);
  }
}
