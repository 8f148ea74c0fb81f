/**
 * Building DOM and SVG from data without ever parsing it as markup.
 *
 * Every text from a model, a name or a JSON document reaches the page through `textContent` (or an attribute
 * value set with `setAttribute`), never through `innerHTML`; event-handler attributes (`on...`) and `href`/`src`
 * cannot be set through these helpers at all.  So a population named `<img src=x onerror=alert(1)>` shows as
 * those characters.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

export type Attrs = Record<string, string | number | boolean | null | undefined>;
export type Child = Node | string | null | undefined | false;

function checkedName(name: string): string {
  const lower = name.toLowerCase();
  if (lower.startsWith('on') || lower === 'href' || lower === 'src' || lower.endsWith(':href') || lower === 'style') {
    throw new Error(`brainlab dom: the attribute "${name}" is not allowed here`);
  }
  return name;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) {
      continue;
    }
    el.setAttribute(checkedName(k), v === true ? '' : String(v));
  }
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) {
      continue;
    }
    el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** An HTML element; strings among the children become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element; strings among the children become text nodes. */
export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An identifier safe for ids and url(#...) references, from any text (letters, digits, '-' and '_'). */
export function safeId(text: string): string {
  let out = '';
  for (const ch of text) {
    out += /[A-Za-z0-9_-]/.test(ch) ? ch : `_${ch.codePointAt(0)!.toString(16)}`;
  }
  return out;
}

/** A number for people: up to 4 significant digits, no exponent for ordinary magnitudes. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) {
    return '-';
  }
  if (x === 0) {
    return '0';
  }
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) {
    return String(Number(x.toPrecision(4)));
  }
  return x.toExponential(3).replace(/\.?0+e/, 'e');
}
