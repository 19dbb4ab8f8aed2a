import { type Role, type User, shopPath } from '../admin.api';
import { button, el, field, input, select } from '../dom';
import type { AdminContext, View } from '../state';

const ROLES: Role[] = ['owner', 'editor', 'agent'];

/** The shop's people (owners only): who signs in with which role; add and remove. */
export class UsersView implements View {
  readonly element: HTMLElement;
  private readonly rows: HTMLElement;
  private readonly status: HTMLElement;

  constructor(private readonly ctx: AdminContext) {
    const { i18n } = ctx;
    this.element = el('div', 'view users', { 'data-testid': 'view-users' });
    const head = el('div', 'view-head');
    head.append(el('h1', undefined, {}, i18n.t('nav.users')));
    this.status = el('div', 'status', { role: 'status', 'data-testid': 'users-status' });
    const table = el('table', 'grid');
    const hr = el('tr');
    for (const k of ['users.name', 'users.email', 'users.role', 'common.actions'])
      hr.append(el('th', undefined, {}, i18n.t(k)));
    const thead = el('thead');
    thead.append(hr);
    this.rows = el('tbody', undefined, { 'data-testid': 'users-list' });
    table.append(thead, this.rows);
    const list = el('section', 'panel');
    const scroller = el('div', 'table-scroll');
    scroller.append(table);
    list.append(this.status, scroller);
    this.element.append(head, list, this.addForm());
    void this.load();
  }

  private addForm(): HTMLElement {
    const { i18n } = this.ctx;
    const form = el('form', 'panel', { novalidate: '', 'data-testid': 'users-add' });
    const email = input('user-email', { type: 'email', autocomplete: 'off' });
    const name = input('user-name', { maxlength: '100' });
    const role = select(
      'user-role',
      ROLES.map((r) => ({ value: r, label: i18n.t(`role.${r}`) })),
      'editor',
    );
    const password = input('user-password', { type: 'password', autocomplete: 'new-password' });
    const error = el('div', 'error', { role: 'alert', 'data-testid': 'user-error' });
    const submit = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'user-add' },
      i18n.t('users.add'),
    );
    const grid = el('div', 'field-grid');
    grid.append(
      field(i18n.t('users.email'), email),
      field(i18n.t('users.name'), name),
      field(i18n.t('users.role'), role),
      field(i18n.t('users.password'), password, i18n.t('users.password-hint')),
    );
    form.append(el('h2', undefined, {}, i18n.t('users.add-title')), grid, error, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.textContent = '';
      const body = {
        email: email.value.trim(),
        name: name.value.trim(),
        role: role.value,
        password: password.value,
      };
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email))
        return void (error.textContent = i18n.t('signin.bad-email'));
      if (!body.name) return void (error.textContent = i18n.t('users.need-name'));
      if (body.password.length < 10) return void (error.textContent = i18n.t('users.short-password'));
      submit.disabled = true;
      try {
        await this.ctx.api.send('POST', shopPath(this.ctx.user.shopId, ['users']), body);
        form.reset();
        role.value = 'editor';
        this.ctx.notify(i18n.t('users.added'), 'info');
        void this.load();
      } catch (err) {
        error.textContent = i18n.errorText(err);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  private async load(): Promise<void> {
    const { i18n } = this.ctx;
    this.status.textContent = i18n.t('common.loading');
    this.status.classList.remove('bad');
    try {
      const { users } = await this.ctx.api.get<{ users: User[] }>(shopPath(this.ctx.user.shopId, ['users']));
      this.status.textContent = '';
      this.rows.replaceChildren(...users.map((u) => this.row(u)));
    } catch (err) {
      this.status.textContent = i18n.errorText(err);
      this.status.classList.add('bad');
    }
  }

  private row(u: User): HTMLElement {
    const { i18n } = this.ctx;
    const tr = el('tr', undefined, { 'data-testid': 'user-row' });
    const actions = el('td', 'row-actions');
    if (u.id !== this.ctx.user.id) {
      const remove = button(i18n.t('users.remove'), 'user-remove', 'danger');
      remove.addEventListener('click', () => {
        const yes = button(i18n.t('users.remove-yes'), 'user-remove-confirm', 'danger');
        const no = button(i18n.t('common.cancel'), 'user-remove-cancel');
        no.addEventListener('click', () => actions.replaceChildren(remove));
        yes.addEventListener('click', async () => {
          yes.disabled = true;
          try {
            await this.ctx.api.send('DELETE', shopPath(this.ctx.user.shopId, ['users', u.id]));
            void this.load();
          } catch (err) {
            yes.disabled = false;
            this.ctx.reportError(err);
          }
        });
        actions.replaceChildren(yes, no);
      });
      actions.append(remove);
    }
    tr.append(
      el('td', undefined, {}, u.name),
      el('td', undefined, {}, u.email),
      el('td', undefined, {}, i18n.t(`role.${u.role}`)),
      actions,
    );
    return tr;
  }
}
