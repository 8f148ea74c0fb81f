/**
 * Graph layouts for the network diagram (pure functions, no DOM).
 *
 * - layered: cycles are broken by reversing the back edges of a depth-first search (in the given node order),
 *   every node goes to the layer one past its longest path from a source, and the order within a layer is
 *   improved by a few barycentre sweeps; layers run left to right.
 * - circular: nodes evenly spaced on a circle, in the given order, starting at the top.
 *
 * Edges are drawn from boundary to boundary of the node circles; two edges between the same pair (E->I and
 * I->E) bend to opposite sides, and a self-connection is a loop above its node.
 */

export interface IPoint {
  x: number;
  y: number;
}

export interface ILayout {
  positions: Map<string, IPoint>;
  layers: Map<string, number>;
  width: number;
  height: number;
}

export type LayoutKind = 'layered' | 'circular';

export const LAYER_GAP = 190;
export const ROW_GAP = 110;
export const MARGIN = 70;

/** Edges of a DFS that close a cycle (pre, post pairs, by index into `edges`); self-loops are not included. */
export function backEdges(ids: string[], edges: Array<[string, string]>): Set<number> {
  const out = new Map<string, Array<[string, number]>>();
  ids.forEach(id => out.set(id, []));
  edges.forEach(([a, b], i) => {
    if (a !== b && out.has(a) && out.has(b)) {
      out.get(a)!.push([b, i]);
    }
  });
  const state = new Map<string, number>(); // 1 on the stack, 2 done
  const back = new Set<number>();
  const visit = (root: string): void => {
    // iterative DFS so that deep graphs do not exhaust the stack
    const stack: Array<[string, number]> = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const succ = out.get(top[0])!;
      if (top[1] >= succ.length) {
        state.set(top[0], 2);
        stack.pop();
        continue;
      }
      const [next, i] = succ[top[1]++];
      const st = state.get(next);
      if (st === 1) {
        back.add(i);
      } else if (st === undefined) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  };
  // start from nodes without incoming edges, then any node not reached yet
  const indeg = new Map<string, number>(ids.map(id => [id, 0]));
  edges.forEach(([a, b]) => {
    if (a !== b && indeg.has(b) && indeg.has(a)) {
      indeg.set(b, indeg.get(b)! + 1);
    }
  });
  for (const id of ids) {
    if (indeg.get(id) === 0 && !state.has(id)) {
      visit(id);
    }
  }
  for (const id of ids) {
    if (!state.has(id)) {
      visit(id);
    }
  }
  return back;
}

/** Layer of every node: the longest path from a source in the graph without its back edges. */
export function assignLayers(ids: string[], edges: Array<[string, string]>): Map<string, number> {
  const back = backEdges(ids, edges);
  const known = new Set(ids);
  const forward = edges.filter(([a, b], i) => a !== b && !back.has(i) && known.has(a) && known.has(b));
  const layer = new Map<string, number>(ids.map(id => [id, 0]));
  // longest path by relaxation in topological order (Kahn)
  const indeg = new Map<string, number>(ids.map(id => [id, 0]));
  forward.forEach(([, b]) => indeg.set(b, indeg.get(b)! + 1));
  const queue = ids.filter(id => indeg.get(id) === 0);
  while (queue.length) {
    const a = queue.shift()!;
    for (const [p, b] of forward) {
      if (p !== a) {
        continue;
      }
      layer.set(b, Math.max(layer.get(b)!, layer.get(a)! + 1));
      indeg.set(b, indeg.get(b)! - 1);
      if (indeg.get(b) === 0) {
        queue.push(b);
      }
    }
  }
  return layer;
}

export function layeredLayout(ids: string[], edges: Array<[string, string]>): ILayout {
  const layers = assignLayers(ids, edges);
  const nLayers = Math.max(0, ...[...layers.values()]) + 1;
  const rows: string[][] = Array.from({ length: nLayers }, () => []);
  ids.forEach(id => rows[layers.get(id)!].push(id));
  const index = new Map<string, number>();
  const reindex = (): void => rows.forEach(r => r.forEach((id, i) => index.set(id, i)));
  reindex();
  const neighbours = (id: string): string[] =>
    edges.filter(([a, b]) => a !== b && (a === id || b === id)).map(([a, b]) => (a === id ? b : a));
  for (let sweep = 0; sweep < 4; sweep++) {
    for (const row of rows) {
      const bary = new Map<string, number>();
      row.forEach(id => {
        const ns = neighbours(id).filter(n => layers.get(n) !== layers.get(id));
        bary.set(id, ns.length ? ns.reduce((s, n) => s + index.get(n)!, 0) / ns.length : index.get(id)!);
      });
      row.sort((a, b) => bary.get(a)! - bary.get(b)! || ids.indexOf(a) - ids.indexOf(b));
    }
    reindex();
  }
  const tallest = Math.max(1, ...rows.map(r => r.length));
  const positions = new Map<string, IPoint>();
  rows.forEach((row, l) => {
    const offset = ((tallest - row.length) * ROW_GAP) / 2;
    row.forEach((id, i) => positions.set(id, { x: MARGIN + l * LAYER_GAP, y: MARGIN + offset + i * ROW_GAP }));
  });
  return {
    positions,
    layers,
    width: 2 * MARGIN + (nLayers - 1) * LAYER_GAP,
    height: 2 * MARGIN + (tallest - 1) * ROW_GAP
  };
}

export function circularLayout(ids: string[]): ILayout {
  const n = ids.length;
  const radius = n <= 1 ? 0 : Math.max(90, (n * ROW_GAP) / (2 * Math.PI));
  const c = MARGIN + radius;
  const positions = new Map<string, IPoint>();
  const layers = new Map<string, number>();
  ids.forEach((id, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
    positions.set(id, { x: c + radius * Math.cos(a), y: c + radius * Math.sin(a) });
    layers.set(id, 0);
  });
  return { positions, layers, width: 2 * c, height: 2 * c };
}

export function layout(kind: LayoutKind, ids: string[], edges: Array<[string, string]>): ILayout {
  return kind === 'circular' ? circularLayout(ids) : layeredLayout(ids, edges);
}

/** The radius of a node drawn for a population of `size` neurons (grows with log10 of the size). */
export function nodeRadius(size: number | null): number {
  if (size === null || !(size > 0)) {
    return 20;
  }
  return Math.min(40, 20 + 5 * Math.log10(size));
}

export interface IEdgeGeometry {
  /** SVG path data */
  d: string;
  /** where the edge ends (on the target's boundary) and its direction there (unit vector) */
  end: IPoint;
  dir: IPoint;
  /** a point near the middle of the edge, for its label */
  mid: IPoint;
}

/**
 * The path of an edge from a circle (centre p, radius rp) to a circle (q, rq), leaving `gap` before the
 * target.  `bend` (pixels, signed) curves it sideways: 0 is a straight line.  p == q draws a loop above.
 */
export function edgeGeometry(p: IPoint, rp: number, q: IPoint, rq: number, bend = 0, gap = 2): IEdgeGeometry {
  if (p.x === q.x && p.y === q.y) {
    const a0 = (-Math.PI / 2) - 0.5;
    const a1 = (-Math.PI / 2) + 0.5;
    const s = { x: p.x + rp * Math.cos(a0), y: p.y + rp * Math.sin(a0) };
    const e = { x: p.x + (rp + gap) * Math.cos(a1), y: p.y + (rp + gap) * Math.sin(a1) };
    const h = rp * 2.2;
    const c1 = { x: s.x - h * 0.5, y: s.y - h };
    const c2 = { x: e.x + h * 0.5, y: e.y - h };
    const dx = e.x - c2.x;
    const dy = e.y - c2.y;
    const len = Math.hypot(dx, dy) || 1;
    return {
      d: `M ${s.x} ${s.y} C ${c1.x} ${c1.y} ${c2.x} ${c2.y} ${e.x} ${e.y}`,
      end: e,
      dir: { x: dx / len, y: dy / len },
      mid: { x: p.x, y: p.y - rp - h * 0.75 }
    };
  }
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const len = Math.hypot(dx, dy);
  const ux = dx / len;
  const uy = dy / len;
  // control point: the midpoint pushed sideways by `bend`
  const c = { x: (p.x + q.x) / 2 - uy * bend, y: (p.y + q.y) / 2 + ux * bend };
  const toward = (from: IPoint, to: IPoint, r: number): IPoint => {
    const vx = to.x - from.x;
    const vy = to.y - from.y;
    const l = Math.hypot(vx, vy) || 1;
    return { x: from.x + (vx / l) * r, y: from.y + (vy / l) * r };
  };
  const s = toward(p, c, rp);
  const e = toward(q, c, rq + gap);
  const ex = e.x - c.x;
  const ey = e.y - c.y;
  const el = Math.hypot(ex, ey) || 1;
  const mid = { x: 0.25 * s.x + 0.5 * c.x + 0.25 * e.x, y: 0.25 * s.y + 0.5 * c.y + 0.25 * e.y };
  return {
    d: `M ${s.x} ${s.y} Q ${c.x} ${c.y} ${e.x} ${e.y}`,
    end: e,
    dir: { x: ex / el, y: ey / el },
    mid
  };
}
