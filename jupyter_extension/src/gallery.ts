/**
 * The "Model gallery" side panel: every catalog entry grouped by kind, searchable, each with its equations
 * (typeset by JupyterLab's LaTeX typesetter), its parameter table, its reference and an Insert button that puts
 * a ready-to-run code cell into the active notebook.
 */

import { Widget } from '@lumino/widgets';

import { fmt, h } from './dom';
import { groupEntries, ICatalog, ICatalogEntry, ICatalogParam, KIND_TITLES } from './schema';

export interface IGalleryOptions {
  /** Fetch the catalog (GET /brainlab/catalog). */
  load(): Promise<ICatalog>;
  /** Insert `code` as a code cell into the active notebook; resolves to a message for the status line. */
  insert(code: string, entry: ICatalogEntry): Promise<string>;
  /** Typeset the TeX in `el` (its text holds $$...$$); absent: the TeX stays as text. */
  typeset?(el: HTMLElement): void | Promise<void>;
}

function rangeText(p: ICatalogParam): string {
  const [lo, hi] = p.range;
  if (lo === null && hi === null) {
    return '';
  }
  return `[${lo === null ? '\u2212\u221e' : fmt(lo)}, ${hi === null ? '\u221e' : fmt(hi)}]`;
}

/** The parameter table of one entry (name, default, unit, range, meaning). */
export function parameterTable(params: ICatalogParam[]): HTMLTableElement {
  const table = h(
    'table',
    { class: 'jp-brainlab-param-table' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'name'), h('th', {}, 'default'), h('th', {}, 'unit'), h('th', {}, 'range'), h('th', {}, 'meaning'))
    )
  );
  const body = h('tbody');
  for (const p of params) {
    body.appendChild(
      h(
        'tr',
        {},
        h('td', { class: 'jp-brainlab-mono' }, p.name),
        h('td', {}, fmt(p.default)),
        h('td', {}, p.unit),
        h('td', {}, rangeText(p)),
        h('td', {}, p.doc)
      )
    );
  }
  table.appendChild(body);
  return table;
}

export class GalleryPanel extends Widget {
  private _catalog: ICatalog | null = null;
  private readonly _search: HTMLInputElement;
  private readonly _list: HTMLDivElement;
  private readonly _status: HTMLDivElement;

  constructor(private readonly _options: IGalleryOptions) {
    super();
    this.id = 'brainlab-gallery';
    this.addClass('jp-brainlab-gallery');
    this.title.caption = 'brainlab model gallery';
    this._search = h('input', {
      class: 'jp-brainlab-search',
      type: 'search',
      placeholder: 'Search models by name or description',
      'aria-label': 'Search models'
    });
    this._search.addEventListener('input', () => this._render());
    this._status = h('div', { class: 'jp-brainlab-status', 'aria-live': 'polite' });
    this._list = h('div', { class: 'jp-brainlab-gallery-list' });
    this.node.append(
      h('div', { class: 'jp-brainlab-gallery-header' }, h('h2', {}, 'Model gallery'), this._search),
      this._status,
      this._list
    );
  }

  /** The catalog shown (null until loaded). */
  get catalog(): ICatalog | null {
    return this._catalog;
  }

  /** Set the search text (as if typed). */
  set query(text: string) {
    this._search.value = text;
    this._render();
  }

  /** (Re)load the catalog from the server. */
  async refresh(): Promise<void> {
    this._status.textContent = 'Loading the brainlab catalog\u2026';
    try {
      this._catalog = await this._options.load();
      this._status.textContent = '';
    } catch (err) {
      this._catalog = null;
      this._status.textContent = `Could not load the brainlab catalog: ${(err as Error).message}`;
    }
    this._render();
  }

  private _render(): void {
    if (!this._catalog) {
      this._list.replaceChildren();
      return;
    }
    const groups = groupEntries(this._catalog.entries, this._search.value);
    if (groups.length === 0) {
      this._list.replaceChildren(h('p', { class: 'jp-brainlab-empty' }, 'No model matches this search.'));
      return;
    }
    const sections = groups.map(([kind, entries]) =>
      h(
        'section',
        { class: 'jp-brainlab-group', 'data-kind': kind },
        h('h3', {}, `${KIND_TITLES[kind] ?? kind} (${entries.length})`),
        ...entries.map(e => this._entry(e))
      )
    );
    this._list.replaceChildren(...sections);
  }

  private _entry(e: ICatalogEntry): HTMLElement {
    const insert = h(
      'button',
      { class: 'jp-brainlab-button jp-mod-accept', type: 'button', title: `Insert a ${e.name} example cell` },
      'Insert'
    );
    const status = h('span', { class: 'jp-brainlab-status' });
    insert.addEventListener('click', async ev => {
      ev.preventDefault();
      ev.stopPropagation();
      status.textContent = await this._options.insert(e.snippet, e);
    });
    const body = h('div', { class: 'jp-brainlab-entry-body' });
    const details = h(
      'details',
      { class: 'jp-brainlab-entry', 'data-name': e.name, 'data-kind': e.kind },
      h(
        'summary',
        {},
        h('span', { class: 'jp-brainlab-entry-name' }, e.name),
        ' ',
        h('span', { class: 'jp-brainlab-entry-summary' }, e.summary)
      ),
      body
    );
    let filled = false;
    details.addEventListener('toggle', () => {
      if (!details.open || filled) {
        return;
      }
      filled = true;
      this._fill(body, e, insert, status);
    });
    return details;
  }

  private _fill(body: HTMLElement, e: ICatalogEntry, insert: HTMLElement, status: HTMLElement): void {
    body.appendChild(h('div', { class: 'jp-brainlab-entry-module jp-brainlab-mono' }, `${e.module}.${e.name}`));
    if (e.equations) {
      const eq = h('div', { class: 'jp-brainlab-equations' }, `$$${e.equations}$$`);
      body.appendChild(eq);
      if (this._options.typeset) {
        void Promise.resolve(this._options.typeset(eq)).catch(() => undefined);
      }
    }
    if (e.parameters.length) {
      body.appendChild(parameterTable(e.parameters));
    }
    if (e.reference) {
      body.appendChild(h('p', { class: 'jp-brainlab-reference' }, h('strong', {}, 'Reference: '), e.reference));
    }
    body.appendChild(h('div', { class: 'jp-brainlab-entry-actions' }, insert, status));
  }
}
