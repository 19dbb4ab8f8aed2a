import type { Draft, Handoff } from './workspace.api';

/**
 * Items known from list loads and live events. A reload must not undo an event that arrived while
 * the list was on its way, so each item remembers when an event last touched it.
 */
export class Collection<T extends { id: string }> {
  readonly items = new Map<string, T>();
  private readonly touched = new Map<string, number>();

  constructor(private readonly newer: (incoming: T, current: T) => boolean = () => true) {}

  upsert(item: T, fromEvent: boolean): void {
    const current = this.items.get(item.id);
    if (current && !this.newer(item, current)) return;
    this.items.set(item.id, item);
    if (fromEvent) this.touched.set(item.id, performance.now());
  }

  /** The lists loaded (requested at `requestedAt`) are now the whole truth, except for later events. */
  replace(loaded: T[], requestedAt: number): void {
    const fresh = (id: string) => (this.touched.get(id) ?? -Infinity) > requestedAt;
    const ids = new Set(loaded.map((i) => i.id));
    for (const id of Array.from(this.items.keys())) {
      if (!ids.has(id) && !fresh(id)) this.items.delete(id);
    }
    for (const item of loaded) if (!fresh(item.id)) this.items.set(item.id, item);
  }

  values(): T[] {
    return Array.from(this.items.values());
  }

  clear(): void {
    this.items.clear();
    this.touched.clear();
  }
}

export function isHandoff(value: unknown): value is Handoff {
  const v = value as Handoff | undefined;
  return (
    !!v && typeof v.id === 'string' && typeof v.conversationId === 'string' && typeof v.status === 'string'
  );
}

export function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/** The draft's replies as one editable text. */
export function draftText(d: Draft): string {
  return d.replies.map((r) => r.text).join('\n\n');
}
