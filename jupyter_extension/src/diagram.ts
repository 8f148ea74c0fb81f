/**
 * The renderer of application/vnd.brainlab.network+json: an interactive SVG diagram of a bl.Network.
 *
 * Populations are circles (area growing with the log of their size), input modules rounded squares, and
 * projections arrows: an arrowhead for excitatory, a tee (bar) for inhibitory, a dot for mixed signs.  Hovering
 * a population or a projection shows its details below the diagram; the buttons switch between a layered and a
 * circular layout and zoom; Ctrl/Cmd + wheel zooms and dragging pans.
 */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { fmt, h, s } from './dom';
import { edgeGeometry, ILayout, layout, LayoutKind, nodeRadius } from './layout';
import { IComponent, IEdge, INetworkDoc, INode, IParam, IQuantity, parseNetwork, NETWORK_MIME } from './schema';

let counter = 0;

/** `text` cut to `max` characters with an ellipsis (labels in the drawing; the full text is in the tooltip and
 * the details). */
export function shorten(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}\u2026`;
}

function quantityText(q: IQuantity | null): string {
  if (q === null) {
    return '-';
  }
  const unit = q.unit ? ` ${q.unit}` : '';
  if (q.uniform) {
    return `${fmt(q.value)}${unit}`;
  }
  return `${fmt(q.min)} to ${fmt(q.max)}${unit} (varies)`;
}

function paramsText(params: IParam[]): string {
  return params.map(p => `${p.name} = ${quantityText(p)}`).join(', ');
}

function componentText(c: IComponent | null): string {
  if (c === null) {
    return '-';
  }
  const ps = paramsText(c.params);
  return ps ? `${c.model} (${ps})` : c.model;
}

/** The lines of the details panel for a node (label, value). */
export function nodeDetails(n: INode): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    [n.kind === 'input' ? 'input' : 'population', n.name],
    ['model', n.model]
  ];
  if (n.size !== null) {
    rows.push(['neurons', String(n.size)]);
  }
  for (const p of n.params) {
    rows.push([p.name, quantityText(p)]);
  }
  return rows;
}

/** The lines of the details panel for an edge (label, value). */
export function edgeDetails(e: IEdge): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    [e.kind === 'input' ? 'input' : 'projection', `${e.name}: ${e.pre} \u2192 ${e.post}`],
    ['sign', e.sign]
  ];
  if (e.rule) {
    const parts = [e.rule.text];
    if (e.rule.synapses !== null) {
      parts.push(`${e.rule.synapses} synapses`);
    }
    if (e.rule.density !== null) {
      parts.push(`density ${fmt(e.rule.density)}`);
    }
    rows.push(['connectivity', parts.join(', ')]);
  }
  rows.push(['synapse', componentText(e.synapse)]);
  rows.push(['output', componentText(e.output)]);
  if (e.stp) {
    rows.push(['short-term plasticity', componentText(e.stp)]);
  }
  rows.push(['weight', quantityText(e.weight)]);
  if (e.delay) {
    rows.push(['delay', quantityText(e.delay)]);
  }
  return rows;
}

function markers(uid: string): SVGElement {
  const arrow = s(
    'marker',
    {
      id: `${uid}-excitatory`,
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse',
      class: 'jp-brainlab-marker-excitatory'
    },
    s('path', { d: 'M 0 0 L 10 5 L 0 10 z' })
  );
  const tee = s(
    'marker',
    {
      id: `${uid}-inhibitory`,
      viewBox: '0 0 4 12',
      refX: 3,
      refY: 6,
      markerWidth: 4,
      markerHeight: 12,
      orient: 'auto',
      class: 'jp-brainlab-marker-inhibitory'
    },
    s('rect', { x: 0, y: 0, width: 3, height: 12 })
  );
  const dot = s(
    'marker',
    {
      id: `${uid}-mixed`,
      viewBox: '0 0 10 10',
      refX: 8,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      class: 'jp-brainlab-marker-mixed'
    },
    s('circle', { cx: 5, cy: 5, r: 4 })
  );
  return s('defs', {}, arrow, tee, dot);
}

/** Draw the diagram of `doc` with layout `kind`; returns the SVG and the layout used. */
export function drawNetwork(
  doc: INetworkDoc,
  kind: LayoutKind,
  uid: string,
  onHover: (rows: Array<[string, string]> | null) => void
): { svg: SVGSVGElement; layout: ILayout; viewBox: { x: number; y: number; w: number; h: number } } {
  const ids = doc.nodes.map(n => n.id);
  const lay = layout(
    kind,
    ids,
    doc.edges.map(e => [e.pre, e.post] as [string, string])
  );
  const radius = new Map(doc.nodes.map(n => [n.id, nodeRadius(n.size)]));
  // the drawing's bounds: nodes, their captions below and the self-connection loops above
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const n of doc.nodes) {
    const p = lay.positions.get(n.id)!;
    const r = radius.get(n.id)!;
    x0 = Math.min(x0, p.x - r - 50);
    x1 = Math.max(x1, p.x + r + 50);
    y0 = Math.min(y0, p.y - r * 3.3 - 16);
    y1 = Math.max(y1, p.y + r + 24);
  }
  if (!Number.isFinite(x0)) {
    [x0, y0, x1, y1] = [0, 0, 160, 80];
  }
  const viewBox = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  const svg = s('svg', {
    class: 'jp-brainlab-network-svg',
    viewBox: `${viewBox.x} ${viewBox.y} ${viewBox.w} ${viewBox.h}`,
    width: Math.round(viewBox.w),
    height: Math.round(viewBox.h),
    role: 'img',
    'aria-label': `network diagram: ${doc.nodes.length} nodes, ${doc.edges.length} projections`
  }) as SVGSVGElement;
  svg.appendChild(markers(uid));
  const edgeLayer = s('g', { class: 'jp-brainlab-edges' });
  const nodeLayer = s('g', { class: 'jp-brainlab-nodes' });
  // edges: parallel edges and pairs in both directions bend apart
  const seen = new Map<string, number>();
  for (const e of doc.edges) {
    const key = `${e.pre}\u0000${e.post}`;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    const reverse = e.pre !== e.post && doc.edges.some(o => o.pre === e.post && o.post === e.pre);
    const bend = (reverse ? 28 : 0) + k * 26;
    const p = lay.positions.get(e.pre)!;
    const q = lay.positions.get(e.post)!;
    const geo = edgeGeometry(p, radius.get(e.pre)!, q, radius.get(e.post)!, bend, 3);
    const g = s(
      'g',
      { class: `jp-brainlab-edge jp-brainlab-${e.sign}`, 'data-edge': e.id, tabindex: 0 },
      s('title', {}, `${e.name}: ${e.pre} \u2192 ${e.post} (${e.sign})`),
      s('path', { class: 'jp-brainlab-edge-hit', d: geo.d }),
      s('path', { class: 'jp-brainlab-edge-line', d: geo.d, 'marker-end': `url(#${uid}-${e.sign})` }),
      s('text', { class: 'jp-brainlab-edge-label', x: geo.mid.x, y: geo.mid.y - 4, 'text-anchor': 'middle' }, shorten(e.name, 14))
    );
    g.addEventListener('mouseenter', () => onHover(edgeDetails(e)));
    g.addEventListener('focus', () => onHover(edgeDetails(e)));
    edgeLayer.appendChild(g);
  }
  for (const n of doc.nodes) {
    const p = lay.positions.get(n.id)!;
    const r = radius.get(n.id)!;
    const shape =
      n.kind === 'input'
        ? s('rect', { x: p.x - r, y: p.y - r, width: 2 * r, height: 2 * r, rx: 6, class: 'jp-brainlab-node-shape' })
        : s('circle', { cx: p.x, cy: p.y, r, class: 'jp-brainlab-node-shape' });
    const size = n.size !== null ? `n=${n.size}` : n.model;
    const g = s(
      'g',
      { class: `jp-brainlab-node jp-brainlab-node-${n.kind}`, 'data-node': n.id, tabindex: 0 },
      s('title', {}, `${n.name}: ${n.model}${n.size !== null ? `, ${n.size} neurons` : ''}`),
      shape,
      s('text', { class: 'jp-brainlab-node-label', x: p.x, y: p.y + 4, 'text-anchor': 'middle' }, shorten(n.name, 10)),
      s(
        'text',
        { class: 'jp-brainlab-node-sub', x: p.x, y: p.y + r + 14, 'text-anchor': 'middle' },
        `${shorten(n.model, 16)} ${size}`
      )
    );
    g.addEventListener('mouseenter', () => onHover(nodeDetails(n)));
    g.addEventListener('focus', () => onHover(nodeDetails(n)));
    nodeLayer.appendChild(g);
  }
  svg.appendChild(edgeLayer);
  svg.appendChild(nodeLayer);
  return { svg, layout: lay, viewBox };
}

/** The MIME renderer widget. */
export class NetworkRenderer extends Widget implements IRenderMime.IRenderer {
  private _doc: INetworkDoc | null = null;
  private _kind: LayoutKind = 'layered';
  private _view = { x: 0, y: 0, w: 1, h: 1 };
  private _base = { x: 0, y: 0, w: 1, h: 1 };
  private _svg: SVGSVGElement | null = null;
  private readonly _uid: string;
  private readonly _canvas: HTMLDivElement;
  private readonly _details: HTMLDivElement;
  private readonly _toolbar: HTMLDivElement;

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._uid = `bl-net-${++counter}`;
    this.addClass('jp-brainlab-network');
    this._toolbar = h('div', { class: 'jp-brainlab-toolbar' });
    this._canvas = h('div', { class: 'jp-brainlab-network-canvas' });
    this._details = h('div', { class: 'jp-brainlab-details', 'aria-live': 'polite' });
    this.node.append(this._toolbar, this._canvas, this._details);
    this._buildToolbar();
    this._bindZoom();
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[NETWORK_MIME];
    try {
      this._doc = parseNetwork(data);
    } catch (err) {
      this._doc = null;
      this._canvas.replaceChildren(
        h('div', { class: 'jp-brainlab-error' }, `brainlab network: ${(err as Error).message}`)
      );
      return;
    }
    this._draw();
  }

  private _button(label: string, title: string, action: () => void, extra: Record<string, string> = {}): HTMLButtonElement {
    const b = h('button', { class: 'jp-brainlab-button', type: 'button', title, ...extra }, label);
    b.addEventListener('click', action);
    return b;
  }

  private _buildToolbar(): void {
    const layered = this._button('Layered', 'Layers from inputs to targets', () => this._setKind('layered'), {
      'data-layout': 'layered'
    });
    const circular = this._button('Circular', 'Nodes on a circle', () => this._setKind('circular'), {
      'data-layout': 'circular'
    });
    const zin = this._button('+', 'Zoom in', () => this._zoom(1 / 1.25), { 'aria-label': 'Zoom in' });
    const zout = this._button('\u2212', 'Zoom out', () => this._zoom(1.25), { 'aria-label': 'Zoom out' });
    const reset = this._button('Fit', 'Show the whole network', () => this._fit());
    this._toolbar.append(layered, circular, zin, zout, reset);
  }

  private _setKind(kind: LayoutKind): void {
    this._kind = kind;
    this._draw();
  }

  private _showDetails(rows: Array<[string, string]> | null): void {
    if (rows === null) {
      this._details.replaceChildren('Hover a population or a projection for its details.');
      return;
    }
    const table = h('table', { class: 'jp-brainlab-details-table' });
    for (const [k, v] of rows) {
      table.appendChild(h('tr', {}, h('th', {}, k), h('td', {}, v)));
    }
    this._details.replaceChildren(table);
  }

  private _draw(): void {
    if (!this._doc) {
      return;
    }
    for (const b of Array.from(this._toolbar.querySelectorAll('button[data-layout]'))) {
      b.classList.toggle('jp-mod-active', b.getAttribute('data-layout') === this._kind);
    }
    const { svg, viewBox } = drawNetwork(this._doc, this._kind, this._uid, rows => this._showDetails(rows));
    this._svg = svg;
    this._base = viewBox;
    this._canvas.replaceChildren(svg);
    this._fit();
    this._showDetails(null);
  }

  private _apply(): void {
    const v = this._view;
    this._svg?.setAttribute('viewBox', `${v.x} ${v.y} ${v.w} ${v.h}`);
  }

  private _fit(): void {
    this._view = { ...this._base };
    this._apply();
  }

  private _zoom(factor: number, cx?: number, cy?: number): void {
    const v = this._view;
    const x = cx ?? v.x + v.w / 2;
    const y = cy ?? v.y + v.h / 2;
    const w = Math.min(Math.max(v.w * factor, this._base.w / 20), this._base.w * 20);
    const f = w / v.w;
    this._view = { x: x - (x - v.x) * f, y: y - (y - v.y) * f, w, h: v.h * f };
    this._apply();
  }

  private _bindZoom(): void {
    this._canvas.addEventListener(
      'wheel',
      (ev: WheelEvent) => {
        if (!(ev.ctrlKey || ev.metaKey) || !this._svg) {
          return;
        }
        ev.preventDefault();
        const rect = this._svg.getBoundingClientRect();
        const v = this._view;
        const cx = v.x + ((ev.clientX - rect.left) / Math.max(rect.width, 1)) * v.w;
        const cy = v.y + ((ev.clientY - rect.top) / Math.max(rect.height, 1)) * v.h;
        this._zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, cx, cy);
      },
      { passive: false }
    );
    let drag: { x: number; y: number; vx: number; vy: number } | null = null;
    this._canvas.addEventListener('pointerdown', (ev: PointerEvent) => {
      drag = { x: ev.clientX, y: ev.clientY, vx: this._view.x, vy: this._view.y };
    });
    this._canvas.addEventListener('pointermove', (ev: PointerEvent) => {
      if (!drag || !this._svg) {
        return;
      }
      const rect = this._svg.getBoundingClientRect();
      const scale = this._view.w / Math.max(rect.width, 1);
      this._view = { ...this._view, x: drag.vx - (ev.clientX - drag.x) * scale, y: drag.vy - (ev.clientY - drag.y) * scale };
      this._apply();
    });
    const stop = (): void => {
      drag = null;
    };
    this._canvas.addEventListener('pointerup', stop);
    this._canvas.addEventListener('pointerleave', stop);
  }
}

export const networkRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [NETWORK_MIME],
  defaultRank: 40,
  createRenderer: options => new NetworkRenderer(options)
};

