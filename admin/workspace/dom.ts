/** Small DOM and browser helpers shared by the workspace's views. */

export { adoptStyles, button, el } from '../browser/dom';

/**
 * Makes `list` hold one child per item, in order, reusing the node already there for a key (so a
 * draft being edited keeps its text and focus) and only moving nodes that are out of place.
 */
export function syncList<T>(
  list: HTMLElement,
  items: T[],
  key: (item: T) => string,
  create: (item: T) => HTMLElement,
  update: (node: HTMLElement, item: T) => void,
): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(list.children)) {
    if (child instanceof HTMLElement && child.dataset.key) existing.set(child.dataset.key, child);
  }
  let cursor = list.firstElementChild;
  for (const item of items) {
    const k = key(item);
    let node = existing.get(k);
    if (!node) {
      node = create(item);
      node.dataset.key = k;
    }
    update(node, item);
    if (node === cursor) cursor = cursor.nextElementSibling;
    else list.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    cursor.remove();
    cursor = next;
  }
}

export function storage() {
  let area: Storage | undefined;
  try {
    area = window.sessionStorage;
  } catch {
    area = undefined;
  }
  return {
    get: (key: string): string | null => {
      try {
        return area?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set: (key: string, value: string): void => {
      try {
        area?.setItem(key, value);
      } catch {
        // Blocked storage: the agent signs in again after a reload.
      }
    },
    remove: (key: string): void => {
      try {
        area?.removeItem(key);
      } catch {
        // As above.
      }
    },
  };
}
