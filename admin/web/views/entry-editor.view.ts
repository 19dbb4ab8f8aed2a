import type { NewEntry } from '../admin.api';
import { button, el, field, input, select, textarea } from '../dom';
import type { AdminContext } from '../state';

const MAX_QUESTION = 500;
const MAX_ANSWER = 5000;
const MAX_SIMILAR = 100;

/** The knowledge entry form, in a modal dialog: question, answer, similar questions (one a line), locale. */
export class EntryEditor {
  readonly element: HTMLDialogElement;
  private readonly title: HTMLElement;
  private readonly question: HTMLInputElement;
  private readonly answer: HTMLTextAreaElement;
  private readonly similar: HTMLTextAreaElement;
  private readonly locale: HTMLSelectElement;
  private readonly error: HTMLElement;
  private readonly save: HTMLButtonElement;
  private editingId?: string;

  constructor(
    private readonly ctx: AdminContext,
    private readonly onSaved: (id: string) => void,
  ) {
    const { i18n } = ctx;
    this.element = el('dialog', 'editor', { 'data-testid': 'entry-editor' });
    const form = el('form', undefined, { novalidate: '' });
    this.title = el('h2');
    this.question = input('entry-question', { maxlength: String(MAX_QUESTION) });
    this.answer = textarea('entry-answer', '', 5);
    this.similar = textarea('entry-similar', '', 4);
    this.locale = select('entry-locale', [
      { value: 'zh-CN', label: i18n.t('locale.zh-CN') },
      { value: 'en-US', label: i18n.t('locale.en-US') },
    ]);
    this.error = el('div', 'error', { role: 'alert', 'data-testid': 'entry-error' });
    this.save = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'entry-save' },
      i18n.t('common.save'),
    );
    const cancel = button(i18n.t('common.cancel'), 'entry-cancel');
    cancel.addEventListener('click', () => this.element.close());
    const actions = el('div', 'actions');
    actions.append(cancel, this.save);
    form.append(
      this.title,
      field(i18n.t('knowledge.question'), this.question),
      field(i18n.t('knowledge.answer'), this.answer),
      field(i18n.t('knowledge.similar'), this.similar, i18n.t('knowledge.similar-hint')),
      field(i18n.t('knowledge.locale'), this.locale),
      this.error,
      actions,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.element.append(form);
  }

  open(entry?: NewEntry): void {
    const { i18n } = this.ctx;
    this.editingId = entry?.id;
    this.title.textContent = i18n.t(entry?.id ? 'knowledge.edit-title' : 'knowledge.new-title');
    this.question.value = entry?.question ?? '';
    this.answer.value = entry?.answer ?? '';
    this.similar.value = (entry?.similar ?? []).join('\n');
    this.locale.value = entry?.locale ?? (i18n.locale === 'en-US' ? 'en-US' : 'zh-CN');
    this.error.textContent = '';
    this.save.disabled = false;
    if (!this.element.open) this.element.showModal();
    (this.question.value ? this.answer : this.question).focus();
  }

  private validate(): NewEntry | string {
    const { i18n } = this.ctx;
    const question = this.question.value.trim();
    const answer = this.answer.value.trim();
    const similar = [
      ...new Set(
        this.similar.value
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => s && s !== question),
      ),
    ];
    if (!question) return i18n.t('knowledge.need-question');
    if (question.length > MAX_QUESTION) return i18n.t('knowledge.too-long', { n: MAX_QUESTION });
    if (!answer) return i18n.t('knowledge.need-answer');
    if (answer.length > MAX_ANSWER) return i18n.t('knowledge.too-long', { n: MAX_ANSWER });
    if (similar.length > MAX_SIMILAR) return i18n.t('knowledge.too-many-similar', { n: MAX_SIMILAR });
    if (similar.some((s) => s.length > MAX_QUESTION))
      return i18n.t('knowledge.too-long', { n: MAX_QUESTION });
    return {
      ...(this.editingId ? { id: this.editingId } : {}),
      locale: this.locale.value,
      question,
      similar,
      answer,
    };
  }

  private async submit(): Promise<void> {
    const entry = this.validate();
    if (typeof entry === 'string') {
      this.error.textContent = entry;
      return;
    }
    this.save.disabled = true;
    this.error.textContent = '';
    try {
      const res = await this.ctx.api.send<{ upserted: number; ids?: string[] }>(
        'POST',
        `/api/v1/shops/${encodeURIComponent(this.ctx.user.shopId)}/knowledge`,
        { entries: [entry] },
      );
      this.element.close();
      this.onSaved(res.ids?.[0] ?? entry.id ?? '');
    } catch (err) {
      this.error.textContent = this.ctx.i18n.errorText(err);
      this.save.disabled = false;
    }
  }
}
