/**
 * brainlab's JupyterLab extension: a launcher section, the "Model gallery" sidebar, renderers for
 * application/vnd.brainlab.network+json and application/vnd.brainlab.code+json, and a "brainlab" menu.
 *
 * The gallery's data and the new-notebook template come from the brainlab server extension
 * (brainlab/_labextension.py: GET /brainlab/catalog, GET /brainlab/model-notebook), with Jupyter's
 * authentication.
 */

import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Clipboard, ICommandPalette, InputDialog, showErrorMessage } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { PageConfig, PathExt, URLExt } from '@jupyterlab/coreutils';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { LabIcon } from '@jupyterlab/ui-components';
import { Menu } from '@lumino/widgets';

import { codeRendererFactory } from './codeview';
import { networkRendererFactory } from './diagram';
import { GalleryPanel } from './gallery';
import { ICatalog, ICatalogEntry, parseCatalog } from './schema';

const PLUGIN_ID = 'brainlab-jupyterlab:plugin';

export namespace CommandIDs {
  export const openGallery = 'brainlab:open-gallery';
  export const insertModel = 'brainlab:insert-model';
  export const openCourse = 'brainlab:open-course';
  export const newModelNotebook = 'brainlab:new-model-notebook';
}

/** Where "Open the course" looks for the course's index, relative to the server's root. */
export const COURSE_CANDIDATES = ['00_index.ipynb', 'notebooks/00_index.ipynb', 'brainlab/notebooks/00_index.ipynb'];

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">' +
  '<g class="jp-icon3" fill="#616161">' +
  '<circle cx="6" cy="7" r="3"/><circle cx="18" cy="7" r="3"/><circle cx="12" cy="18" r="3"/>' +
  '<path d="M8.5 8.5l2.3 7M15.5 8.5l-2.3 7M9 7h6" stroke="#616161" stroke-width="1.4" fill="none"/>' +
  '</g></svg>';

export const brainlabIcon = new LabIcon({ name: 'brainlab:icon', svgstr: ICON_SVG });

async function requestJSON(path: string): Promise<unknown> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, path);
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      message = body.message || message;
    } catch {
      // keep the status line
    }
    if (response.status === 404) {
      message +=
        ' (the brainlab server extension is not running: install brainlab into the environment that runs ' +
        'JupyterLab and restart it)';
    }
    throw new Error(message);
  }
  return response.json();
}

async function loadCatalog(): Promise<ICatalog> {
  return parseCatalog(await requestJSON('brainlab/catalog'));
}

/** Insert `code` as a new code cell below the active cell of `panel`, and select it. */
function insertCode(panel: NotebookPanel, code: string, belowIndex?: number): void {
  const notebook = panel.content;
  if (belowIndex !== undefined) {
    notebook.activeCellIndex = belowIndex;
  }
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (cell) {
    if (cell.model.type !== 'code') {
      NotebookActions.changeCellType(notebook, 'code');
    }
    notebook.activeCell!.model.sharedModel.setSource(code);
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'brainlab: launcher section, model gallery, network and code renderers, brainlab menu',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry, IEditorLanguageRegistry],
  optional: [ILauncher, IMainMenu, ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    languages: IEditorLanguageRegistry,
    launcher: ILauncher | null,
    mainMenu: IMainMenu | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const { commands, shell, serviceManager } = app;

    // -- renderers --------------------------------------------------------------------------------------
    rendermime.addFactory(networkRendererFactory, 40);
    rendermime.addFactory(
      codeRendererFactory({
        highlight: async (code, language, el) => {
          const lang = languages.findBest(language);
          if (lang === null) {
            el.textContent = code;
            return;
          }
          await languages.highlight(code, lang, el);
        },
        insertBelow: async (node, code) => {
          let found: { panel: NotebookPanel; index: number } | null = null;
          tracker.forEach(panel => {
            if (found) {
              return;
            }
            panel.content.widgets.forEach((cell, index) => {
              if (!found && cell.node.contains(node)) {
                found = { panel, index };
              }
            });
          });
          if (!found) {
            return false;
          }
          const { panel, index } = found as { panel: NotebookPanel; index: number };
          insertCode(panel, code, index);
          return true;
        },
        copy: text => Clipboard.copyToSystem(text)
      }),
      40
    );

    // -- the gallery ------------------------------------------------------------------------------------
    const insertIntoActive = async (code: string): Promise<string> => {
      const panel = tracker.currentWidget;
      if (!panel) {
        return 'Open a notebook first: Insert adds the cell to the active notebook.';
      }
      insertCode(panel, code);
      shell.activateById(panel.id);
      return `Inserted into ${panel.context.path}.`;
    };
    const gallery = new GalleryPanel({
      load: loadCatalog,
      insert: code => insertIntoActive(code),
      typeset: el => rendermime.latexTypesetter?.typeset(el)
    });
    gallery.title.icon = brainlabIcon;
    gallery.title.caption = 'Model gallery (brainlab)';
    shell.add(gallery, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(gallery, 'brainlab-gallery');
    }
    let loaded: Promise<void> | null = null;
    const ensureLoaded = (): Promise<void> => {
      if (!loaded) {
        loaded = gallery.refresh();
      }
      return loaded;
    };
    app.restored.then(() => ensureLoaded()).catch(() => undefined);

    // -- commands ---------------------------------------------------------------------------------------
    commands.addCommand(CommandIDs.openGallery, {
      label: 'Open the Model Gallery',
      caption: 'Show the brainlab model gallery in the left sidebar',
      icon: brainlabIcon,
      execute: async () => {
        shell.activateById(gallery.id);
        await ensureLoaded();
      }
    });

    commands.addCommand(CommandIDs.insertModel, {
      label: args => (args['name'] ? `Insert ${String(args['name'])}` : 'Insert a Model\u2026'),
      caption: 'Insert a ready-to-run cell for a brainlab model into the active notebook',
      execute: async args => {
        await ensureLoaded();
        const entries = gallery.catalog?.entries ?? [];
        let name = typeof args['name'] === 'string' ? (args['name'] as string) : null;
        if (name === null) {
          const result = await InputDialog.getItem({
            title: 'Insert a brainlab model',
            items: entries.map(e => `${e.name} (${e.kind})`)
          });
          if (!result.button.accept || !result.value) {
            return;
          }
          name = result.value.replace(/ \([^)]*\)$/, '');
        }
        const entry: ICatalogEntry | undefined = entries.find(e => e.name === name);
        if (!entry) {
          await showErrorMessage('brainlab', `There is no model named "${name}" in the brainlab catalog.`);
          return;
        }
        const message = await insertIntoActive(entry.snippet);
        if (!tracker.currentWidget) {
          await showErrorMessage('brainlab', message);
        }
      }
    });

    commands.addCommand(CommandIDs.openCourse, {
      label: 'Open the Course',
      caption: "Open the brainlab course's index notebook (00_index)",
      icon: brainlabIcon,
      execute: async () => {
        for (const path of COURSE_CANDIDATES) {
          try {
            await serviceManager.contents.get(path, { content: false });
          } catch {
            continue;
          }
          return commands.execute('docmanager:open', { path, factory: 'Notebook' });
        }
        await showErrorMessage(
          'brainlab course not found',
          `The course's index (${COURSE_CANDIDATES.join(', ')}) is not under this server's root ` +
            `(${PageConfig.getOption('serverRoot') || 'the directory JupyterLab started in'}). Start JupyterLab ` +
            "with `make lab` in brainlab's source tree, or copy the notebooks folder next to your work."
        );
      }
    });

    commands.addCommand(CommandIDs.newModelNotebook, {
      label: args => (args['isLauncher'] ? 'New model notebook' : 'New Model Notebook'),
      caption: 'A notebook with the imports, a first model and a NeuronExplorer, ready to run',
      icon: brainlabIcon,
      execute: async args => {
        const cwd = typeof args['cwd'] === 'string' ? (args['cwd'] as string) : '';
        const content = await requestJSON('brainlab/model-notebook');
        const model = await serviceManager.contents.newUntitled({ path: cwd, type: 'notebook' });
        const name = model.name.replace(/^Untitled/, 'brainlab_model');
        const path = PathExt.join(cwd, name);
        await serviceManager.contents.rename(model.path, path).catch(() => undefined);
        const finalPath = (await serviceManager.contents.get(path, { content: false }).catch(() => null))
          ? path
          : model.path;
        await serviceManager.contents.save(finalPath, { type: 'notebook', format: 'json', content });
        return commands.execute('docmanager:open', {
          path: finalPath,
          factory: 'Notebook',
          kernel: { name: 'python3' }
        });
      }
    });

    // -- launcher, palette, menu --------------------------------------------------------------------------
    if (launcher) {
      launcher.add({ command: CommandIDs.newModelNotebook, category: 'brainlab', rank: 1, args: { isLauncher: true } });
      launcher.add({ command: CommandIDs.openCourse, category: 'brainlab', rank: 2 });
    }
    const category = 'brainlab';
    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        palette.addItem({ command, category });
      }
    }
    if (mainMenu) {
      const menu = new Menu({ commands });
      menu.id = 'jp-mainmenu-brainlab';
      menu.title.label = 'brainlab';
      menu.addItem({ command: CommandIDs.newModelNotebook });
      menu.addItem({ command: CommandIDs.openCourse });
      menu.addItem({ type: 'separator' });
      menu.addItem({ command: CommandIDs.openGallery });
      menu.addItem({ command: CommandIDs.insertModel });
      mainMenu.addMenu(menu, true, { rank: 1000 });
    }
  }
};

export default plugin;
