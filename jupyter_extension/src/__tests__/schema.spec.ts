import { groupEntries, ICatalogEntry, parseCatalog, parseCode, parseNetwork, SchemaError } from '../schema';

const network = {
  version: 1,
  nodes: [
    { id: 'E', name: 'E', kind: 'population', model: 'LIF', size: 80, params: [{ name: 'tau', unit: 'ms', value: 20, min: 20, max: 20, uniform: true, doc: 'membrane time constant' }] },
    { id: 'I', name: 'I', kind: 'population', model: 'LIF', size: 20, params: [] }
  ],
  edges: [
    { id: 'EI', name: 'EI', pre: 'E', post: 'I', kind: 'projection', sign: 'excitatory', rule: { text: 'FixedProb(prob=0.02)', synapses: 32, density: 0.02 }, synapse: { model: 'Expon', params: [] }, output: { model: 'COBA', params: [] }, stp: null, weight: { value: 0.6, min: 0.6, max: 0.6, uniform: true, unit: 'nS' }, delay: null },
    { id: 'IE', name: 'IE', pre: 'I', post: 'E', sign: 'inhibitory', weight: { value: null, min: 1, max: 2, uniform: false, unit: 'nS' } }
  ]
};

describe('parseNetwork', () => {
  it('keeps the documented fields', () => {
    const doc = parseNetwork(network);
    expect(doc.nodes.map(n => [n.id, n.size])).toEqual([['E', 80], ['I', 20]]);
    expect(doc.nodes[0].params[0]).toEqual({ name: 'tau', unit: 'ms', value: 20, min: 20, max: 20, uniform: true, doc: 'membrane time constant' });
    expect(doc.edges.map(e => [e.pre, e.post, e.sign])).toEqual([['E', 'I', 'excitatory'], ['I', 'E', 'inhibitory']]);
    expect(doc.edges[0].rule).toEqual({ text: 'FixedProb(prob=0.02)', synapses: 32, density: 0.02 });
    expect(doc.edges[1].weight).toEqual({ value: null, min: 1, max: 2, uniform: false, unit: 'nS' });
    expect(doc.edges[1].kind).toBe('projection');
  });

  it('refuses an unknown version, naming both versions', () => {
    expect(() => parseNetwork({ ...network, version: 2 })).toThrow(/version 2 is not supported.*reads version 1/);
  });

  it('names the field that is wrong', () => {
    const bad = (patch: Record<string, unknown>) => () => parseNetwork({ ...network, ...patch });
    expect(bad({ nodes: 'E' })).toThrow(SchemaError);
    expect(bad({ nodes: [{ name: 'E' }] })).toThrow(/nodes\[0\]: the field "id" is missing/);
    expect(bad({ edges: [{ pre: 'E', post: 'X' }] })).toThrow(/edges\[0\]: post "X" is not the id of a node/);
    expect(bad({ edges: [{ pre: 'E', post: 'E', sign: 'positive' }] })).toThrow(/sign must be one of/);
    expect(bad({ nodes: [network.nodes[0], network.nodes[0]] })).toThrow(/appears twice/);
    expect(bad({ nodes: [{ ...network.nodes[0], size: 'big' }] })).toThrow(/"size" must be a finite number/);
    expect(() => parseNetwork(null)).toThrow(/expected a JSON object/);
    expect(() => parseNetwork([])).toThrow(/expected a JSON object/);
  });

  it('keeps markup as plain strings', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const doc = parseNetwork({ version: 1, nodes: [{ id: evil, model: evil }], edges: [{ pre: evil, post: evil, name: evil }] });
    expect(doc.nodes[0].name).toBe(evil);
    expect(doc.edges[0].name).toBe(evil);
  });
});

describe('parseCode', () => {
  it('reads code, title and language', () => {
    expect(parseCode({ version: 1, code: 'x = 1', title: 't' })).toEqual({ version: 1, code: 'x = 1', title: 't', language: 'python' });
  });
  it('needs the code as a string', () => {
    expect(() => parseCode({ version: 1 })).toThrow(/"code" is missing/);
    expect(() => parseCode({ version: 1, code: 3 })).toThrow(/"code" must be a string/);
    expect(() => parseCode({ version: 3, code: '' })).toThrow(/version 3/);
  });
});

const entry = (name: string, kind: string, summary = ''): ICatalogEntry => ({
  name, kind, summary, module: `brainlab.${kind}s`, equations: '', reference: '', parameters: [], snippet: 'import brainlab as bl\n'
});

describe('catalog', () => {
  it('parses entries and their parameter ranges (null for an unbounded side)', () => {
    const cat = parseCatalog({
      version: 1,
      brainlab_version: '0.1.0',
      entries: [{ name: 'LIF', kind: 'neuron', snippet: 's', parameters: [{ name: 'tau', default: 10, unit: 'ms', range: [0.1, null], doc: 'd' }] }]
    });
    expect(cat.brainlabVersion).toBe('0.1.0');
    expect(cat.entries[0].parameters[0]).toEqual({ name: 'tau', default: 10, unit: 'ms', range: [0.1, null], doc: 'd' });
    expect(() => parseCatalog({ version: 1, entries: [{ name: 'LIF', kind: 'neuron' }] })).toThrow(/"snippet" is missing/);
  });

  it('groups in the gallery order and searches name and description', () => {
    const entries = [entry('COBA', 'output'), entry('LIF', 'neuron', 'leaky integrate-and-fire'), entry('coba', 'network'),
      entry('Expon', 'synapse', 'exponential decay'), entry('HH', 'neuron', 'Hodgkin-Huxley'), entry('Odd', 'zzz')];
    expect(groupEntries(entries).map(([k, es]) => [k, es.map(e => e.name)])).toEqual([
      ['neuron', ['LIF', 'HH']], ['synapse', ['Expon']], ['output', ['COBA']], ['network', ['coba']], ['zzz', ['Odd']]
    ]);
    expect(groupEntries(entries, 'HODGKIN').map(([, es]) => es.map(e => e.name))).toEqual([['HH']]);
    expect(groupEntries(entries, 'coba').map(([k]) => k)).toEqual(['output', 'network']);
    expect(groupEntries(entries, 'exponential decay').map(([, es]) => es[0].name)).toEqual(['Expon']);
    expect(groupEntries(entries, 'no such model')).toEqual([]);
  });
});
