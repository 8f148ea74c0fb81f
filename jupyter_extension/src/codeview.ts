/**
 * The renderer of application/vnd.brainlab.code+json: highlighted code with "Insert as a new cell below" and
 * "Copy" (the "export code" of the NetworkBuilder and of the panels).
 */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { h } from './dom';
import { CODE_MIME, ICodeDoc, parseCode } from './schema';

export interface ICodeActions {
  /** Syntax-highlight `code` into `el` (spans whose text is the code); plain text when it cannot. */
  highlight(code: string, language: string, el: HTMLElement): Promise<void>;
  /** Insert `code` as a new code cell below the cell whose output holds `node`; false when there is none. */
  insertBelow(node: HTMLElement, code: string): Promise<boolean>;
  /** Put `text` on the system clipboard. */
  copy(text: string): void;
}

export class CodeRenderer extends Widget implements IRenderMime.IRenderer {
  private _doc: ICodeDoc | null = null;
  private readonly _status: HTMLSpanElement;

  constructor(private readonly _actions: ICodeActions) {
    super();
    this.addClass('jp-brainlab-code');
    this._status = h('span', { class: 'jp-brainlab-status', 'aria-live': 'polite' });
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    try {
      this._doc = parseCode(model.data[CODE_MIME]);
    } catch (err) {
      this._doc = null;
      this.node.replaceChildren(h('div', { class: 'jp-brainlab-error' }, `brainlab code: ${(err as Error).message}`));
      return;
    }
    const doc = this._doc;
    const insert = h(
      'button',
      { class: 'jp-brainlab-button jp-mod-accept', type: 'button', 'data-action': 'insert' },
      'Insert as a new cell below'
    );
    const copy = h('button', { class: 'jp-brainlab-button', type: 'button', 'data-action': 'copy' }, 'Copy');
    insert.addEventListener('click', async () => {
      const ok = await this._actions.insertBelow(this.node, doc.code);
      this._status.textContent = ok ? 'Inserted below.' : 'Open this output in a notebook to insert the code.';
    });
    copy.addEventListener('click', () => {
      this._actions.copy(doc.code);
      this._status.textContent = 'Copied.';
    });
    const code = h('code', { class: `language-${doc.language}` });
    const pre = h('pre', { class: 'jp-brainlab-code-block cm-s-jupyter' }, code);
    const header = h(
      'div',
      { class: 'jp-brainlab-toolbar' },
      doc.title ? h('span', { class: 'jp-brainlab-code-title' }, doc.title) : null,
      insert,
      copy,
      this._status
    );
    this.node.replaceChildren(header, pre);
    try {
      await this._actions.highlight(doc.code, doc.language, code);
    } catch {
      code.textContent = doc.code;
    }
    if (!code.textContent) {
      code.textContent = doc.code;
    }
  }
}

export function codeRendererFactory(actions: ICodeActions): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [CODE_MIME],
    defaultRank: 40,
    createRenderer: () => new CodeRenderer(actions)
  };
}
