import { drawNetwork, edgeDetails, shorten } from '../diagram';
import { fmt, h, s, safeId } from '../dom';
import { parameterTable } from '../gallery';
import { parseNetwork } from '../schema';

const EVIL = '<img src=x onerror=alert(1)>';

describe('DOM helpers', () => {
  it('put text in as text', () => {
    const el = h('div', { title: EVIL }, EVIL, h('b', {}, '</div><script>x()</script>'));
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('script')).toBeNull();
    expect(el.textContent).toBe(EVIL + '</div><script>x()</script>');
    expect(el.getAttribute('title')).toBe(EVIL);
  });

  it('refuse event handlers, links and inline styles', () => {
    expect(() => h('div', { onclick: 'alert(1)' })).toThrow(/not allowed/);
    expect(() => h('img' as 'div', { src: 'x' })).toThrow(/not allowed/);
    expect(() => s('a', { 'xlink:href': 'javascript:alert(1)' })).toThrow(/not allowed/);
    expect(() => s('rect', { OnMouseOver: 'alert(1)' })).toThrow(/not allowed/);
    expect(() => h('div', { style: 'x' })).toThrow(/not allowed/);
  });

  it('make ids from any text', () => {
    expect(safeId(EVIL)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(safeId('E_1-x')).toBe('E_1-x');
  });

  it('format numbers for people', () => {
    expect(fmt(0.6)).toBe('0.6');
    expect(fmt(20)).toBe('20');
    expect(fmt(1 / 3)).toBe('0.3333');
    expect(fmt(1e-7)).toBe('1e-7');
    expect(fmt(null)).toBe('-');
  });
});

describe('network diagram', () => {
  const doc = parseNetwork({
    version: 1,
    nodes: [
      { id: EVIL, name: EVIL, model: EVIL, size: 10, params: [{ name: EVIL, unit: EVIL, value: 1, min: 1, max: 1, uniform: true, doc: EVIL }] },
      { id: 'I', model: 'LIF', size: 5 }
    ],
    edges: [
      { id: 'e1', name: EVIL, pre: EVIL, post: 'I', sign: 'excitatory', rule: { text: EVIL, synapses: 3, density: 0.1 } },
      { id: 'e2', name: 'IE', pre: 'I', post: EVIL, sign: 'inhibitory' },
      { id: 'e3', name: 'II', pre: 'I', post: 'I', sign: 'mixed' }
    ]
  });

  it('draws every node and edge with the name as text and the sign as its head', () => {
    const hovered: Array<Array<[string, string]> | null> = [];
    const { svg } = drawNetwork(doc, 'layered', 'u1', rows => hovered.push(rows));
    document.body.appendChild(svg);
    expect(svg.querySelectorAll('[data-node]').length).toBe(2);
    expect(svg.querySelectorAll('[data-edge]').length).toBe(3);
    expect(svg.querySelector('img')).toBeNull();
    expect(document.querySelector('img')).toBeNull();
    const labels = Array.from(svg.querySelectorAll('.jp-brainlab-node-label')).map(t => t.textContent);
    expect(labels).toEqual([shorten(EVIL, 10), 'I']);
    expect(labels[0]).toBe('<img src=\u2026');
    const titles = Array.from(svg.querySelectorAll('[data-node] > title')).map(t => t.textContent);
    expect(titles).toEqual([`${EVIL}: ${EVIL}, 10 neurons`, 'I: LIF, 5 neurons']);
    const heads = Array.from(svg.querySelectorAll('.jp-brainlab-edge-line')).map(p => p.getAttribute('marker-end'));
    expect(heads).toEqual(['url(#u1-excitatory)', 'url(#u1-inhibitory)', 'url(#u1-mixed)']);
    expect(svg.querySelectorAll('marker').length).toBe(3);
    // hovering reports the details, still as text
    svg.querySelector('[data-edge="e1"]')!.dispatchEvent(new MouseEvent('mouseenter'));
    expect(hovered[0]).toContainEqual(['connectivity', `${EVIL}, 3 synapses, density 0.1`]);
    svg.remove();
  });

  it('draws the circular layout with the same elements', () => {
    const { svg, layout } = drawNetwork(doc, 'circular', 'u2', () => undefined);
    expect(svg.querySelectorAll('[data-node]').length).toBe(2);
    expect(layout.positions.size).toBe(2);
  });

  it('lists an edge for the details panel', () => {
    expect(edgeDetails(doc.edges[1])).toEqual([
      ['projection', `IE: I \u2192 ${EVIL}`], ['sign', 'inhibitory'], ['synapse', '-'], ['output', '-'], ['weight', '-']
    ]);
  });
});

describe('gallery parameter table', () => {
  it('shows name, default, unit, range and meaning as text', () => {
    const table = parameterTable([{ name: EVIL, default: 10, unit: 'ms', range: [0.1, null], doc: EVIL }]);
    expect(table.querySelector('img')).toBeNull();
    const cells = Array.from(table.querySelectorAll('tbody td')).map(td => td.textContent);
    expect(cells).toEqual([EVIL, '10', 'ms', '[0.1, \u221e]', EVIL]);
  });
});
