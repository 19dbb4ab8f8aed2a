import { speakable } from './voice.call';

/** Text or an attribute value as XML: the five special characters escaped, forbidden characters dropped. */
export function escapeXml(value: string): string {
  return speakable(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** An element: `attrs` in the order given (undefined ones left out), `children` already XML. */
export function el(name: string, attrs: Record<string, string | undefined> = {}, children = ''): string {
  const list = Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  return children ? `<${name}${list}>${children}</${name}>` : `<${name}${list}/>`;
}
