import { assignLayers, backEdges, circularLayout, edgeGeometry, layeredLayout, nodeRadius } from '../layout';

describe('layered layout', () => {
  it('puts a chain in successive layers, left to right', () => {
    const lay = layeredLayout(['a', 'b', 'c'], [['a', 'b'], ['b', 'c']]);
    expect(['a', 'b', 'c'].map(id => lay.layers.get(id))).toEqual([0, 1, 2]);
    const xs = ['a', 'b', 'c'].map(id => lay.positions.get(id)!.x);
    expect(xs[0]).toBeLessThan(xs[1]);
    expect(xs[1]).toBeLessThan(xs[2]);
  });

  it('breaks cycles: every edge that is not a back edge goes to a later layer', () => {
    const ids = ['in', 'E', 'I', 'out'];
    const edges: Array<[string, string]> = [['in', 'E'], ['E', 'E'], ['E', 'I'], ['I', 'E'], ['I', 'I'], ['E', 'out']];
    const back = backEdges(ids, edges);
    expect([...back]).toEqual([3]); // I -> E closes the E <-> I loop (self-loops are not back edges)
    const layers = assignLayers(ids, edges);
    edges.forEach(([a, b], i) => {
      if (a !== b && !back.has(i)) {
        expect(layers.get(b)!).toBeGreaterThan(layers.get(a)!);
      }
    });
    expect(layers.get('in')).toBe(0);
  });

  it('gives distinct positions to every node, inside the drawing', () => {
    const ids = Array.from({ length: 7 }, (_, i) => `n${i}`);
    const edges: Array<[string, string]> = [['n0', 'n1'], ['n0', 'n2'], ['n0', 'n3'], ['n1', 'n4'], ['n2', 'n5'], ['n6', 'n5']];
    const lay = layeredLayout(ids, edges);
    const keys = new Set(ids.map(id => `${lay.positions.get(id)!.x},${lay.positions.get(id)!.y}`));
    expect(keys.size).toBe(ids.length);
    for (const p of lay.positions.values()) {
      expect(p.x).toBeGreaterThan(0);
      expect(p.y).toBeGreaterThan(0);
      expect(p.x).toBeLessThan(lay.width);
      expect(p.y).toBeLessThan(lay.height);
    }
  });
});

describe('circular layout', () => {
  it('spaces nodes evenly on one circle, the first at the top', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const lay = circularLayout(ids);
    const c = { x: lay.width / 2, y: lay.height / 2 };
    const radii = ids.map(id => Math.hypot(lay.positions.get(id)!.x - c.x, lay.positions.get(id)!.y - c.y));
    radii.forEach(r => expect(r).toBeCloseTo(radii[0], 9));
    const a = lay.positions.get('a')!;
    expect(a.x).toBeCloseTo(c.x, 9);
    expect(a.y).toBeLessThan(c.y);
    const chord = (i: number, j: number) =>
      Math.hypot(lay.positions.get(ids[i])!.x - lay.positions.get(ids[j])!.x, lay.positions.get(ids[i])!.y - lay.positions.get(ids[j])!.y);
    for (let i = 0; i < ids.length; i++) {
      expect(chord(i, (i + 1) % ids.length)).toBeCloseTo(2 * radii[0] * Math.sin(Math.PI / ids.length), 9);
    }
  });
});

describe('edges and nodes', () => {
  it('starts and ends a straight edge on the two circles', () => {
    const g = edgeGeometry({ x: 0, y: 0 }, 10, { x: 100, y: 0 }, 20, 0, 3);
    expect(g.d).toBe('M 10 0 Q 50 0 77 0');
    expect(g.end).toEqual({ x: 77, y: 0 });
    expect(g.dir.x).toBeCloseTo(1, 12);
  });

  it('bends the two directions of a pair to opposite sides', () => {
    const p = { x: 0, y: 0 };
    const q = { x: 100, y: 0 };
    const there = edgeGeometry(p, 10, q, 10, 28);
    const back = edgeGeometry(q, 10, p, 10, 28);
    expect(Math.sign(there.mid.y)).toBe(-Math.sign(back.mid.y));
    expect(Math.abs(there.mid.y)).toBeGreaterThan(5);
  });

  it('draws a self-connection as a loop above the node', () => {
    const g = edgeGeometry({ x: 50, y: 50 }, 20, { x: 50, y: 50 }, 20);
    expect(g.d.startsWith('M ')).toBe(true);
    expect(g.d).toContain(' C ');
    expect(g.mid.y).toBeLessThan(50 - 20);
  });

  it('grows the node with the log of the population size, within bounds', () => {
    expect(nodeRadius(null)).toBe(20);
    expect(nodeRadius(1)).toBe(20);
    expect(nodeRadius(1000)).toBeCloseTo(35, 12);
    expect(nodeRadius(1e9)).toBe(40);
  });
});
