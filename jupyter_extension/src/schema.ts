/**
 * The brainlab documents the extension reads, parsed and checked field by field.
 *
 * The Python side writes them (brainlab/_mime.py for the two MIME types, brainlab/_labextension.py for the
 * catalog); their JSON schemas are in ../schema/.  A parser returns a typed copy holding only the fields it
 * knows, or throws a SchemaError whose message names the field that is wrong.  Strings stay strings: nothing
 * here is interpreted as markup.
 */

export const NETWORK_MIME = 'application/vnd.brainlab.network+json';
export const CODE_MIME = 'application/vnd.brainlab.code+json';
export const SUPPORTED_VERSION = 1;

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

type Json = unknown;

function isObject(x: Json): x is Record<string, Json> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(obj: Record<string, Json>, key: string, where: string, optional = false): string {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (optional) {
      return '';
    }
    throw new SchemaError(`${where}: the field "${key}" is missing (a string is expected)`);
  }
  if (typeof v !== 'string') {
    throw new SchemaError(`${where}: the field "${key}" must be a string, got ${typeof v}`);
  }
  return v;
}

function num(obj: Record<string, Json>, key: string, where: string): number | null {
  const v = obj[key];
  if (v === undefined || v === null) {
    return null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new SchemaError(`${where}: the field "${key}" must be a finite number or null`);
  }
  return v;
}

function arr(obj: Record<string, Json>, key: string, where: string, optional = false): Json[] {
  const v = obj[key];
  if ((v === undefined || v === null) && optional) {
    return [];
  }
  if (!Array.isArray(v)) {
    throw new SchemaError(`${where}: the field "${key}" must be a list`);
  }
  return v;
}

function checkVersion(obj: Record<string, Json>, what: string): number {
  const v = obj['version'];
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new SchemaError(`${what}: the field "version" must be an integer`);
  }
  if (v !== SUPPORTED_VERSION) {
    throw new SchemaError(
      `${what}: version ${v} is not supported by this brainlab extension (it reads version ` +
        `${SUPPORTED_VERSION}); install matching versions of brainlab and its JupyterLab extension`
    );
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// network
// ---------------------------------------------------------------------------------------------------------

export interface IQuantity {
  value: number | null;
  min: number | null;
  max: number | null;
  uniform: boolean;
  unit: string;
}

export interface IParam extends IQuantity {
  name: string;
  doc: string;
}

export interface IComponent {
  model: string;
  params: IParam[];
}

export interface INode {
  id: string;
  name: string;
  kind: 'population' | 'input';
  model: string;
  size: number | null;
  params: IParam[];
}

export type Sign = 'excitatory' | 'inhibitory' | 'mixed';

export interface IRule {
  text: string;
  synapses: number | null;
  density: number | null;
}

export interface IEdge {
  id: string;
  name: string;
  pre: string;
  post: string;
  kind: 'projection' | 'input';
  rule: IRule | null;
  synapse: IComponent | null;
  output: IComponent | null;
  stp: IComponent | null;
  weight: IQuantity | null;
  delay: IQuantity | null;
  sign: Sign;
}

export interface INetworkDoc {
  version: number;
  nodes: INode[];
  edges: IEdge[];
}

function parseQuantity(x: Json, where: string): IQuantity | null {
  if (x === null || x === undefined) {
    return null;
  }
  if (!isObject(x)) {
    throw new SchemaError(`${where} must be an object with value, min, max, unit`);
  }
  return {
    value: num(x, 'value', where),
    min: num(x, 'min', where),
    max: num(x, 'max', where),
    uniform: x['uniform'] !== false,
    unit: str(x, 'unit', where, true)
  };
}

function parseParams(list: Json[], where: string): IParam[] {
  return list.map((p, i) => {
    const w = `${where}.params[${i}]`;
    if (!isObject(p)) {
      throw new SchemaError(`${w} must be an object`);
    }
    const q = parseQuantity(p, w) as IQuantity;
    return { ...q, name: str(p, 'name', w), doc: str(p, 'doc', w, true) };
  });
}

function parseComponent(x: Json, where: string): IComponent | null {
  if (x === null || x === undefined) {
    return null;
  }
  if (!isObject(x)) {
    throw new SchemaError(`${where} must be an object with model and params`);
  }
  return { model: str(x, 'model', where), params: parseParams(arr(x, 'params', where, true), where) };
}

const SIGNS: Sign[] = ['excitatory', 'inhibitory', 'mixed'];

/** Parse an application/vnd.brainlab.network+json document. */
export function parseNetwork(data: Json): INetworkDoc {
  if (!isObject(data)) {
    throw new SchemaError('network document: expected a JSON object');
  }
  const version = checkVersion(data, 'network document');
  const ids = new Set<string>();
  const nodes: INode[] = arr(data, 'nodes', 'network document').map((n, i) => {
    const w = `nodes[${i}]`;
    if (!isObject(n)) {
      throw new SchemaError(`${w} must be an object`);
    }
    const id = str(n, 'id', w);
    if (ids.has(id)) {
      throw new SchemaError(`${w}: the id "${id}" appears twice`);
    }
    ids.add(id);
    const kind = str(n, 'kind', w, true) || 'population';
    if (kind !== 'population' && kind !== 'input') {
      throw new SchemaError(`${w}: kind must be "population" or "input", got "${kind}"`);
    }
    return {
      id,
      name: str(n, 'name', w, true) || id,
      kind,
      model: str(n, 'model', w, true),
      size: num(n, 'size', w),
      params: parseParams(arr(n, 'params', w, true), w)
    };
  });
  const edges: IEdge[] = arr(data, 'edges', 'network document', true).map((e, i) => {
    const w = `edges[${i}]`;
    if (!isObject(e)) {
      throw new SchemaError(`${w} must be an object`);
    }
    const pre = str(e, 'pre', w);
    const post = str(e, 'post', w);
    for (const [end, id] of [
      ['pre', pre],
      ['post', post]
    ]) {
      if (!ids.has(id)) {
        throw new SchemaError(`${w}: ${end} "${id}" is not the id of a node`);
      }
    }
    const sign = (str(e, 'sign', w, true) || 'excitatory') as Sign;
    if (!SIGNS.includes(sign)) {
      throw new SchemaError(`${w}: sign must be one of ${SIGNS.join(', ')}, got "${sign}"`);
    }
    const kind = str(e, 'kind', w, true) || 'projection';
    if (kind !== 'projection' && kind !== 'input') {
      throw new SchemaError(`${w}: kind must be "projection" or "input", got "${kind}"`);
    }
    let rule: IRule | null = null;
    const r = e['rule'];
    if (isObject(r)) {
      rule = { text: str(r, 'text', `${w}.rule`, true), synapses: num(r, 'synapses', w), density: num(r, 'density', w) };
    } else if (r !== null && r !== undefined) {
      throw new SchemaError(`${w}.rule must be an object or null`);
    }
    const id = str(e, 'id', w, true) || `${pre}->${post}#${i}`;
    return {
      id,
      name: str(e, 'name', w, true) || id,
      pre,
      post,
      kind,
      rule,
      synapse: parseComponent(e['synapse'], `${w}.synapse`),
      output: parseComponent(e['output'], `${w}.output`),
      stp: parseComponent(e['stp'], `${w}.stp`),
      weight: parseQuantity(e['weight'], `${w}.weight`),
      delay: parseQuantity(e['delay'], `${w}.delay`),
      sign
    };
  });
  return { version, nodes, edges };
}

// ---------------------------------------------------------------------------------------------------------
// code
// ---------------------------------------------------------------------------------------------------------

export interface ICodeDoc {
  version: number;
  code: string;
  title: string;
  language: string;
}

/** Parse an application/vnd.brainlab.code+json document. */
export function parseCode(data: Json): ICodeDoc {
  if (!isObject(data)) {
    throw new SchemaError('code document: expected a JSON object');
  }
  const version = checkVersion(data, 'code document');
  return {
    version,
    code: str(data, 'code', 'code document'),
    title: str(data, 'title', 'code document', true),
    language: str(data, 'language', 'code document', true) || 'python'
  };
}

// ---------------------------------------------------------------------------------------------------------
// catalog (GET /brainlab/catalog)
// ---------------------------------------------------------------------------------------------------------

export interface ICatalogParam {
  name: string;
  default: number | null;
  unit: string;
  range: [number | null, number | null];
  doc: string;
}

export interface ICatalogEntry {
  name: string;
  module: string;
  kind: string;
  summary: string;
  equations: string;
  reference: string;
  parameters: ICatalogParam[];
  snippet: string;
}

export interface ICatalog {
  version: number;
  brainlabVersion: string;
  entries: ICatalogEntry[];
}

/** Parse the answer of GET /brainlab/catalog. */
export function parseCatalog(data: Json): ICatalog {
  if (!isObject(data)) {
    throw new SchemaError('catalog: expected a JSON object');
  }
  const version = checkVersion(data, 'catalog');
  const entries = arr(data, 'entries', 'catalog').map((e, i) => {
    const w = `entries[${i}]`;
    if (!isObject(e)) {
      throw new SchemaError(`${w} must be an object`);
    }
    const parameters = arr(e, 'parameters', w, true).map((p, j) => {
      const pw = `${w}.parameters[${j}]`;
      if (!isObject(p)) {
        throw new SchemaError(`${pw} must be an object`);
      }
      const range = Array.isArray(p['range']) ? p['range'] : [null, null];
      const bound = (b: Json): number | null => (typeof b === 'number' && Number.isFinite(b) ? b : null);
      return {
        name: str(p, 'name', pw),
        default: num(p, 'default', pw),
        unit: str(p, 'unit', pw, true),
        range: [bound(range[0]), bound(range[1])] as [number | null, number | null],
        doc: str(p, 'doc', pw, true)
      };
    });
    return {
      name: str(e, 'name', w),
      module: str(e, 'module', w, true),
      kind: str(e, 'kind', w),
      summary: str(e, 'summary', w, true),
      equations: str(e, 'equations', w, true),
      reference: str(e, 'reference', w, true),
      parameters,
      snippet: str(e, 'snippet', w)
    };
  });
  return { version, brainlabVersion: str(data, 'brainlab_version', 'catalog', true), entries };
}

/** The gallery's groups, in display order; kinds not listed here follow, in alphabetical order. */
export const KIND_ORDER = ['neuron', 'synapse', 'output', 'input', 'network'];
export const KIND_TITLES: Record<string, string> = {
  neuron: 'Neurons',
  synapse: 'Synapses',
  output: 'Synaptic outputs',
  input: 'Inputs',
  network: 'Networks'
};

/** Entries grouped by kind (in KIND_ORDER) and filtered by a search text (name, summary, module; any case). */
export function groupEntries(entries: ICatalogEntry[], query = ''): Array<[string, ICatalogEntry[]]> {
  const words = query.toLowerCase().split(/\s+/).filter(w => w.length > 0);
  const match = (e: ICatalogEntry): boolean => {
    const hay = `${e.name} ${e.summary} ${e.module} ${e.kind}`.toLowerCase();
    return words.every(w => hay.includes(w));
  };
  const groups = new Map<string, ICatalogEntry[]>();
  for (const e of entries) {
    if (!match(e)) {
      continue;
    }
    const list = groups.get(e.kind) ?? [];
    list.push(e);
    groups.set(e.kind, list);
  }
  const rank = (k: string): number => {
    const i = KIND_ORDER.indexOf(k);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}
