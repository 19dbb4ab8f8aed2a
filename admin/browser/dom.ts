/** DOM helpers shared by the admin's browser pages (the merchant admin and the agent workspace). */

/** An element with a class, attributes and text; text always goes in as textContent, never as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(label: string, testId: string, className?: string): HTMLButtonElement {
  return el('button', className, { type: 'button', 'data-testid': testId }, label);
}

export function adoptStyles(css: string): void {
  // A constructed stylesheet is not an inline <style>, so the page's CSP can forbid inline styles.
  if ('adoptedStyleSheets' in document && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  } else {
    const style = el('style');
    style.textContent = css;
    document.head.append(style);
  }
}
