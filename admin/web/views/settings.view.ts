import { type ConnectionTest, shopPath } from '../admin.api';
import { button, el, field } from '../dom';
import type { AdminContext, View } from '../state';

type Settings = Record<string, unknown>;
type Kind = 'text' | 'textarea' | 'number' | 'secret' | 'select' | 'time' | 'days' | 'checkbox';

interface FieldSpec {
  path: string[];
  kind: Kind;
  options?: string[];
  min?: number;
  max?: number;
  step?: number;
  required?: boolean;
  pattern?: RegExp;
}

interface SectionSpec {
  key: string;
  fields: FieldSpec[];
  /** The API takes this section whole (every required field), not field by field. */
  whole?: boolean;
}

const URL_RE = /^https?:\/\/\S+$/;
const DAYS = [1, 2, 3, 4, 5, 6, 0];

// The settings the page edits, as bot/settings.ts defines them.
const SECTIONS: SectionSpec[] = [
  {
    key: 'profile',
    fields: [
      { path: ['profile', 'name'], kind: 'text', max: 100 },
      { path: ['profile', 'greeting', 'zh-CN'], kind: 'textarea', max: 500 },
      { path: ['profile', 'greeting', 'en-US'], kind: 'textarea', max: 500 },
    ],
  },
  {
    key: 'returnAddress',
    whole: true,
    fields: [
      { path: ['returnAddress', 'name'], kind: 'text', max: 100, required: true },
      { path: ['returnAddress', 'phone'], kind: 'text', max: 40, required: true },
      { path: ['returnAddress', 'address'], kind: 'textarea', max: 500, required: true },
    ],
  },
  {
    key: 'commerce',
    whole: true,
    fields: [
      { path: ['commerce', 'type'], kind: 'select', options: ['demo', 'http'] },
      { path: ['commerce', 'baseUrl'], kind: 'text', max: 2000, pattern: URL_RE },
      { path: ['commerce', 'secret'], kind: 'secret' },
    ],
  },
  {
    key: 'fastRefund',
    fields: [
      { path: ['fastRefund', 'minTier'], kind: 'number', min: 0, max: 5, step: 1 },
      { path: ['fastRefund', 'maxAmount'], kind: 'number', min: 0, step: 0.01 },
    ],
  },
  {
    key: 'handoff',
    fields: [
      { path: ['handoff', 'confidenceThreshold'], kind: 'number', min: 0, max: 1, step: 0.01 },
      { path: ['handoff', 'lowConfidenceTurns'], kind: 'number', min: 0, max: 20, step: 1 },
      { path: ['handoff', 'angerThreshold'], kind: 'number', min: 0, max: 1, step: 0.01 },
      { path: ['handoff', 'vipMinTier'], kind: 'number', min: 0, max: 5, step: 1 },
      { path: ['handoff', 'vipTier'], kind: 'select', options: ['', 'L1', 'L2', 'expert'] },
      { path: ['handoff', 'expireMinutes'], kind: 'number', min: 5, max: 7 * 24 * 60, step: 1 },
      { path: ['handoff', 'autoAssign'], kind: 'checkbox' },
    ],
  },
  { key: 'mode', fields: [{ path: ['mode'], kind: 'select', options: ['auto', 'assist'] }] },
  {
    key: 'businessHours',
    fields: [
      { path: ['businessHours', 'timezone'], kind: 'text', max: 100 },
      { path: ['businessHours', 'days'], kind: 'days' },
      { path: ['businessHours', 'open'], kind: 'time' },
      { path: ['businessHours', 'close'], kind: 'time' },
    ],
  },
  {
    key: 'channels',
    fields: [
      { path: ['channels', 'twilio', 'authToken'], kind: 'secret' },
      { path: ['channels', 'twilio', 'agentNumber'], kind: 'text', max: 40 },
      { path: ['channels', 'vxml', 'token'], kind: 'secret' },
      { path: ['channels', 'vxml', 'agentNumber'], kind: 'text', max: 40 },
      { path: ['channels', 'alexa', 'skillId'], kind: 'text', max: 200 },
      { path: ['channels', 'aligenie', 'skillId'], kind: 'text', max: 200 },
      { path: ['channels', 'aligenie', 'privateKey'], kind: 'secret' },
      { path: ['channels', 'agents', 'appId'], kind: 'text', max: 200 },
      { path: ['channels', 'agents', 'appPassword'], kind: 'secret' },
      { path: ['channels', 'agents', 'tenantId'], kind: 'text', max: 200 },
    ],
  },
  {
    key: 'digest',
    fields: [
      { path: ['digest', 'webhookUrl'], kind: 'text', max: 2000, pattern: URL_RE },
      { path: ['digest', 'secret'], kind: 'secret' },
      { path: ['digest', 'email'], kind: 'text', max: 320, pattern: /^[^\s@]+@[^\s@]+$/ },
      { path: ['digest', 'locale'], kind: 'select', options: ['', 'zh-CN', 'en-US'] },
    ],
  },
];

type Value = string | number[] | boolean;

interface Control {
  spec: FieldSpec;
  read(): Value;
  write(v: Value): void;
  secretState?: HTMLElement;
}

function getPath(obj: unknown, path: string[]): unknown {
  let node = obj;
  for (const k of path)
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
  return node;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let node = obj;
  for (const k of path.slice(0, -1)) {
    if (!node[k] || typeof node[k] !== 'object') node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[path[path.length - 1] ?? ''] = value;
}

const idOf = (path: string[]) => path.join('.');

/**
 * The shop's settings, one section at a time. Secrets are write-only: the page shows whether one
 * is saved, never the secret, and an empty secret field keeps the saved one. Only the fields that
 * changed are sent (the API merges); an optional field the merchant empties is sent as null, which
 * removes it (it falls back to its default).
 */
export class SettingsView implements View {
  readonly element: HTMLElement;
  private readonly controls = new Map<string, Control>();
  private readonly form: HTMLFormElement;
  private readonly status: HTMLElement;
  private readonly save: HTMLButtonElement;
  private readonly testResult: HTMLElement;
  private original = new Map<string, string>();

  constructor(private readonly ctx: AdminContext) {
    const { i18n } = ctx;
    this.element = el('div', 'view settings', { 'data-testid': 'view-settings' });
    const head = el('div', 'view-head');
    head.append(el('h1', undefined, {}, i18n.t('nav.settings')));
    this.form = el('form', 'settings-form', { novalidate: '' });
    this.testResult = el('div', 'status', { role: 'status', 'data-testid': 'commerce-test-result' });
    for (const section of SECTIONS) this.form.append(this.section(section));
    this.status = el('div', 'status', { role: 'status', 'data-testid': 'settings-status' });
    this.save = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'settings-save' },
      i18n.t('common.save'),
    );
    const bar = el('div', 'sticky-actions');
    bar.append(this.status, this.save);
    this.form.append(bar);
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.element.append(head, this.form);
    this.commerceSelect()?.addEventListener('change', () => this.toggleHttp());
    void this.load();
  }

  private section(section: SectionSpec): HTMLElement {
    const { i18n } = this.ctx;
    const box = el('fieldset', 'panel', { 'data-testid': `settings-${section.key}` });
    box.append(el('legend', undefined, {}, i18n.t(`settings.${section.key}`)));
    const hint = i18n.t(`settings.${section.key}.hint`);
    if (hint !== `settings.${section.key}.hint`) box.append(el('p', 'hint', {}, hint));
    const grid = el('div', 'field-grid');
    for (const spec of section.fields) grid.append(this.control(spec));
    box.append(grid);
    if (section.key === 'commerce') {
      const test = button(i18n.t('settings.commerce.test'), 'commerce-test');
      test.addEventListener('click', () => void this.testConnection(test));
      const row = el('div', 'actions start http-only');
      row.append(test, this.testResult);
      box.append(row);
    }
    return box;
  }

  private control(spec: FieldSpec): HTMLElement {
    const { i18n } = this.ctx;
    const id = idOf(spec.path);
    const label = i18n.t(`settings.field.${id}`);
    const testId = `setting-${id.replace(/\./g, '-')}`;
    if (spec.kind === 'days') {
      const wrap = el('div', 'days', { role: 'group', 'aria-label': label, 'data-testid': testId });
      const boxes = DAYS.map((d) => {
        const cb = el('input', undefined, { type: 'checkbox', value: String(d) });
        const l = el('label', 'day');
        l.append(cb, ` ${i18n.t(`day.${d}`)}`);
        wrap.append(l);
        return cb;
      });
      this.controls.set(id, {
        spec,
        read: () => boxes.filter((b) => b.checked).map((b) => Number(b.value)),
        write: (v) => {
          for (const b of boxes) b.checked = Array.isArray(v) && v.includes(Number(b.value));
        },
      });
      const f = el('div', 'field');
      f.append(el('span', 'label', {}, label), wrap);
      return f;
    }
    if (spec.kind === 'checkbox') {
      const box = el('input', undefined, { type: 'checkbox', 'data-testid': testId });
      this.controls.set(id, { spec, read: () => box.checked, write: (v) => (box.checked = v === true) });
      return field(label, box);
    }
    let node: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    if (spec.kind === 'textarea') node = el('textarea', undefined, { rows: '2' });
    else if (spec.kind === 'select') {
      node = el('select');
      for (const o of spec.options ?? [])
        node.append(
          el(
            'option',
            undefined,
            { value: o },
            o ? i18n.label(`settings.option`, o) : i18n.t('settings.option.none'),
          ),
        );
    } else {
      const type =
        spec.kind === 'secret'
          ? 'password'
          : spec.kind === 'number'
            ? 'number'
            : spec.kind === 'time'
              ? 'time'
              : 'text';
      node = el('input', undefined, { type, autocomplete: spec.kind === 'secret' ? 'new-password' : 'off' });
      if (spec.min !== undefined) node.setAttribute('min', String(spec.min));
      if (spec.max !== undefined && spec.kind === 'number') node.setAttribute('max', String(spec.max));
      if (spec.step !== undefined) node.setAttribute('step', String(spec.step));
    }
    node.setAttribute('data-testid', testId);
    if (spec.max !== undefined && spec.kind !== 'number') node.setAttribute('maxlength', String(spec.max));
    const control: Control = { spec, read: () => node.value, write: (v) => (node.value = String(v)) };
    let hint: string | undefined;
    if (spec.kind === 'secret') {
      control.secretState = el('span', 'secret-state', { 'data-testid': `${testId}-state` });
      node.setAttribute('placeholder', i18n.t('settings.secret-placeholder'));
      hint = i18n.t('settings.secret-hint');
    }
    this.controls.set(id, control);
    const f = field(label, node, hint);
    if (control.secretState) f.querySelector('label')?.append(' ', control.secretState);
    if (spec.path[0] === 'commerce' && spec.kind !== 'select') f.classList.add('http-only');
    return f;
  }

  private async load(): Promise<void> {
    const { i18n } = this.ctx;
    this.status.textContent = i18n.t('common.loading');
    try {
      this.fill(await this.ctx.api.get<Settings>(shopPath(this.ctx.user.shopId, ['settings'])));
      this.status.textContent = '';
    } catch (err) {
      this.status.textContent = i18n.errorText(err);
      this.status.classList.add('bad');
      this.save.disabled = true;
    }
  }

  private fill(settings: Settings): void {
    const { i18n } = this.ctx;
    this.original.clear();
    for (const [id, c] of this.controls) {
      const raw = getPath(settings, c.spec.path);
      if (c.spec.kind === 'secret') {
        c.write('');
        const set = typeof raw === 'string' && raw !== '';
        if (c.secretState) {
          c.secretState.textContent = i18n.t(set ? 'settings.secret-set' : 'settings.secret-unset');
          c.secretState.dataset.set = String(set);
        }
      } else if (c.spec.kind === 'days') c.write(Array.isArray(raw) ? (raw as number[]) : []);
      else if (c.spec.kind === 'checkbox') c.write(raw === true);
      else if (c.spec.path.join('.') === 'commerce.type') c.write(typeof raw === 'string' ? raw : 'demo');
      else if (c.spec.path.join('.') === 'mode') c.write(typeof raw === 'string' ? raw : 'auto');
      else c.write(raw === undefined || raw === null ? '' : String(raw));
      this.original.set(id, JSON.stringify(c.read()));
    }
    this.toggleHttp();
  }

  private commerceSelect(): HTMLSelectElement | null {
    return this.form.querySelector('[data-testid="setting-commerce-type"]');
  }

  private toggleHttp(): void {
    const http = this.commerceSelect()?.value === 'http';
    for (const f of Array.from(this.form.querySelectorAll<HTMLElement>('.http-only'))) f.hidden = !http;
  }

  private changed(id: string): boolean {
    const c = this.controls.get(id);
    if (!c) return false;
    if (c.spec.kind === 'secret') return c.read() !== '';
    return JSON.stringify(c.read()) !== this.original.get(id);
  }

  /** The patch to send, or the first problem found. */
  private buildPatch(): { patch: Settings } | { error: string; id: string } {
    const { i18n } = this.ctx;
    const patch: Settings = {};
    for (const section of SECTIONS) {
      const ids = section.fields.map((f) => idOf(f.path));
      if (!ids.some((id) => this.changed(id))) continue;
      if (section.key === 'commerce') {
        const type = this.controls.get('commerce.type')?.read();
        if (type === 'demo') {
          patch.commerce = { type: 'demo' };
          continue;
        }
        const baseUrl = String(this.controls.get('commerce.baseUrl')?.read() ?? '').trim();
        const secret = String(this.controls.get('commerce.secret')?.read() ?? '');
        if (!URL_RE.test(baseUrl)) return { error: i18n.t('settings.error.url'), id: 'commerce.baseUrl' };
        // The backend is replaced whole, so its secret has to come with it.
        if (!secret) return { error: i18n.t('settings.error.commerce-secret'), id: 'commerce.secret' };
        patch.commerce = { type: 'http', baseUrl, secret };
        continue;
      }
      for (const spec of section.fields) {
        const id = idOf(spec.path);
        const c = this.controls.get(id);
        if (!c) continue;
        if (!section.whole && !this.changed(id)) continue;
        const v = c.read();
        if (typeof v !== 'string') {
          setPath(patch, spec.path, v);
          continue;
        }
        const text = spec.kind === 'secret' ? v : v.trim();
        if (text === '') {
          if (spec.required) return { error: i18n.t('settings.error.required'), id };
          // Emptied on purpose: null removes the saved value (an empty secret keeps the saved one).
          if (spec.kind !== 'secret' && !section.whole) setPath(patch, spec.path, null);
          continue;
        }
        if (spec.kind === 'number') {
          const n = Number(text);
          if (
            !Number.isFinite(n) ||
            (spec.min !== undefined && n < spec.min) ||
            (spec.max !== undefined && n > spec.max)
          )
            return {
              error: i18n.t('settings.error.range', { min: spec.min ?? '-∞', max: spec.max ?? '∞' }),
              id,
            };
          if (spec.step === 1 && !Number.isInteger(n)) return { error: i18n.t('settings.error.integer'), id };
          setPath(patch, spec.path, n);
          continue;
        }
        if (spec.max !== undefined && text.length > spec.max)
          return { error: i18n.t('settings.error.length', { n: spec.max }), id };
        if (spec.pattern && !spec.pattern.test(text)) return { error: i18n.t('settings.error.format'), id };
        setPath(patch, spec.path, text);
      }
    }
    return { patch };
  }

  private async submit(): Promise<void> {
    const { i18n } = this.ctx;
    this.status.classList.remove('bad');
    const built = this.buildPatch();
    if ('error' in built) {
      this.status.textContent = `${i18n.t(`settings.field.${built.id}`)}: ${built.error}`;
      this.status.classList.add('bad');
      this.form
        .querySelector<HTMLElement>(`[data-testid="setting-${built.id.replace(/\./g, '-')}"]`)
        ?.focus();
      return;
    }
    if (!Object.keys(built.patch).length) {
      this.status.textContent = i18n.t('settings.unchanged');
      return;
    }
    this.save.disabled = true;
    try {
      this.fill(
        await this.ctx.api.send<Settings>('PUT', shopPath(this.ctx.user.shopId, ['settings']), built.patch),
      );
      this.status.textContent = i18n.t('settings.saved');
      this.status.dataset.state = 'saved';
    } catch (err) {
      this.status.textContent = i18n.errorText(err);
      this.status.classList.add('bad');
      delete this.status.dataset.state;
    } finally {
      this.save.disabled = false;
    }
  }

  private async testConnection(btn: HTMLButtonElement): Promise<void> {
    const { i18n } = this.ctx;
    const baseUrl = String(this.controls.get('commerce.baseUrl')?.read() ?? '').trim();
    const secret = String(this.controls.get('commerce.secret')?.read() ?? '');
    if (!URL_RE.test(baseUrl)) {
      this.testResult.textContent = i18n.t('settings.error.url');
      this.testResult.className = 'status bad';
      return;
    }
    btn.disabled = true;
    this.testResult.className = 'status';
    this.testResult.textContent = i18n.t('settings.commerce.testing');
    try {
      const r = await this.ctx.api.send<ConnectionTest>(
        'POST',
        shopPath(this.ctx.user.shopId, ['settings', 'commerce', 'test']),
        { commerce: { type: 'http', baseUrl, ...(secret ? { secret } : {}) } },
      );
      this.testResult.textContent = i18n.t(r.ok ? 'settings.commerce.ok' : 'settings.commerce.failed', {
        message: r.message,
        ms: r.latencyMs,
        status: r.status ?? '—',
      });
      this.testResult.className = r.ok ? 'status ok' : 'status bad';
      this.testResult.dataset.ok = String(r.ok);
    } catch (err) {
      this.testResult.textContent = i18n.errorText(err);
      this.testResult.className = 'status bad';
    } finally {
      btn.disabled = false;
    }
  }
}
