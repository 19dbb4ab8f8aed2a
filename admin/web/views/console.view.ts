import { type ConsoleDebug, type ConsoleTurn, type Reply, shopPath } from '../admin.api';
import { button, el, select } from '../dom';
import type { AdminContext, View } from '../state';

/** The test console: chat with the shop's own bot and see, per turn, what it understood and did. */
export class ConsoleView implements View {
  readonly element: HTMLElement;
  private readonly log: HTMLElement;
  private readonly debug: HTMLElement;
  private readonly text: HTMLInputElement;
  private readonly send: HTMLButtonElement;
  private readonly locale: HTMLSelectElement;
  private sessionId?: string;
  private busy = false;

  constructor(private readonly ctx: AdminContext) {
    const { i18n } = ctx;
    this.element = el('div', 'view console', { 'data-testid': 'view-console' });
    const head = el('div', 'view-head');
    const reset = button(i18n.t('console.reset'), 'console-reset');
    reset.addEventListener('click', () => void this.reset());
    head.append(el('h1', undefined, {}, i18n.t('nav.console')), reset);

    this.log = el('div', 'chat', { 'data-testid': 'console-log', 'aria-live': 'polite' });
    this.debug = el('div', 'debug', { 'data-testid': 'console-debug' });
    this.debug.append(el('p', 'muted', {}, i18n.t('console.debug-empty')));
    const form = el('form', 'composer');
    this.text = el('input', undefined, {
      type: 'text',
      maxlength: '2000',
      placeholder: i18n.t('console.placeholder'),
      'aria-label': i18n.t('console.placeholder'),
      'data-testid': 'console-input',
    });
    this.locale = select('console-locale', [
      { value: '', label: i18n.t('console.auto-locale') },
      { value: 'zh-CN', label: i18n.t('locale.zh-CN') },
      { value: 'en-US', label: i18n.t('locale.en-US') },
    ]);
    this.locale.setAttribute('aria-label', i18n.t('knowledge.locale'));
    this.send = el(
      'button',
      'primary',
      { type: 'submit', 'data-testid': 'console-send' },
      i18n.t('console.send'),
    );
    form.append(this.text, this.locale, this.send);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = this.text.value.trim();
      if (text) void this.say({ text });
    });
    const chatPane = el('section', 'panel chat-pane');
    chatPane.append(this.log, form);
    const debugPane = el('section', 'panel');
    debugPane.append(el('h2', undefined, {}, i18n.t('console.debug')), this.debug);
    const cols = el('div', 'two-cols');
    cols.append(chatPane, debugPane);
    this.element.append(head, cols);
  }

  private async say(input: { text?: string; payload?: string; title?: string }): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.send.disabled = true;
    this.bubble('user', input.text ?? input.title ?? input.payload ?? '');
    this.text.value = '';
    try {
      const turn = await this.ctx.api.send<ConsoleTurn>(
        'POST',
        shopPath(this.ctx.user.shopId, ['console', 'messages']),
        {
          ...(input.text ? { text: input.text } : { payload: input.payload }),
          ...(this.locale.value ? { locale: this.locale.value } : {}),
          ...(this.sessionId ? { sessionId: this.sessionId } : {}),
        },
      );
      this.sessionId = turn.sessionId;
      for (const reply of turn.replies) this.reply(reply);
      if (turn.handoff !== 'none')
        this.log.append(el('div', 'sys', {}, this.ctx.i18n.t('console.handoff', { state: turn.handoff })));
      this.showDebug(turn.debug);
    } catch (err) {
      this.log.append(el('div', 'sys bad', { 'data-testid': 'console-error' }, this.ctx.i18n.errorText(err)));
    } finally {
      this.busy = false;
      this.send.disabled = false;
      this.log.scrollTop = this.log.scrollHeight;
      this.text.focus();
    }
  }

  private bubble(role: 'user' | 'bot', text: string): HTMLElement {
    const msg = el('div', 'msg', { 'data-role': role, 'data-testid': `console-${role}` });
    msg.append(el('div', 'bubble', {}, text));
    this.log.append(msg);
    return msg;
  }

  private reply(reply: Reply): void {
    const msg = this.bubble('bot', reply.text);
    if (reply.card) {
      const card = el('div', 'card');
      card.append(el('div', 'strong', {}, reply.card.title));
      if (reply.card.subtitle) card.append(el('div', 'muted', {}, reply.card.subtitle));
      for (const f of reply.card.fields ?? [])
        card.append(el('div', undefined, {}, `${f.label}: ${f.value}`));
      msg.append(card);
    }
    const choices = [...(reply.quickReplies ?? []), ...(reply.card?.buttons ?? [])];
    if (choices.length) {
      const chips = el('div', 'chips');
      for (const c of choices) {
        const chip = button(c.title, 'console-quick-reply', 'chip');
        chip.addEventListener(
          'click',
          () => void this.say(c.payload ? { payload: c.payload, title: c.title } : { text: c.title }),
        );
        chips.append(chip);
      }
      msg.append(chips);
    }
  }

  private showDebug(d: ConsoleDebug): void {
    const { i18n } = this.ctx;
    const dl = el('dl', 'facts');
    const row = (key: string, value: Node | string, testId?: string) => {
      const dd = el('dd', undefined, testId ? { 'data-testid': testId } : {});
      dd.append(value);
      dl.append(el('dt', undefined, {}, i18n.t(key)), dd);
    };
    row('console.intent', d.intent ?? '—', 'debug-intent');
    const conf = el('span', 'confidence');
    if (d.confidence !== null) {
      const meter = el('meter', undefined, {
        min: '0',
        max: '1',
        value: String(d.confidence),
        'data-testid': 'debug-confidence-bar',
      });
      conf.append(el('span', 'num', { 'data-testid': 'debug-confidence' }, d.confidence.toFixed(2)), meter);
    } else conf.append('—');
    row('console.confidence', conf);
    row(
      'console.entities',
      d.entities.length
        ? d.entities
            .map((e) => `${e.type}=${typeof e.value === 'string' ? e.value : JSON.stringify(e.value)}`)
            .join(', ')
        : '—',
      'debug-entities',
    );
    row('console.skill', d.skill ?? '—', 'debug-skill');
    row(
      'console.outcome',
      `${d.outcome ?? '—'}${d.unresolved ? ` · ${i18n.t('console.unresolved')}` : ''}`,
      'debug-outcome',
    );
    const matches = el('ol', 'matches', { 'data-testid': 'debug-knowledge' });
    for (const k of d.knowledge) {
      const li = el('li');
      li.append(
        el('span', 'num', {}, k.score.toFixed(2)),
        ' ',
        el('span', undefined, {}, k.question ?? k.id),
      );
      matches.append(li);
    }
    if (!d.knowledge.length) matches.append(el('li', 'muted', {}, '—'));
    row('console.knowledge', matches);
    this.debug.replaceChildren(dl);
  }

  private async reset(): Promise<void> {
    const session = this.sessionId;
    this.sessionId = undefined;
    this.log.replaceChildren();
    this.debug.replaceChildren(el('p', 'muted', {}, this.ctx.i18n.t('console.debug-empty')));
    if (!session) return;
    try {
      await this.ctx.api.send('POST', shopPath(this.ctx.user.shopId, ['console', 'reset']), {
        sessionId: session,
      });
    } catch (err) {
      this.ctx.reportError(err);
    }
  }
}
