import type { Frame, Locator, Page } from 'playwright-core';
import { waitFor } from './processes';

/** Escapes a string for a CSS attribute selector value in double quotes. */
function cssString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** Visible text of a locator's matches, trimmed, empty ones dropped. */
async function texts(locator: Locator): Promise<string[]> {
  return (await locator.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()).filter((t) => t.length > 0);
}

/**
 * What a person does in the VS Code workbench, as playwright actions on the code-server page.
 * Every method waits on a condition in the page (an element, a text), never on a fixed delay.
 */
export class Workbench {
  constructor(readonly page: Page, readonly timeoutMs = 30_000) {}

  /** The workbench has rendered and the Explorer shows the workspace's files. */
  async waitReady(): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await this.openExplorer();
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });
  }

  // --- Explorer -----------------------------------------------------------------------------------

  /** Shows the Explorer view (Ctrl+Shift+E toggles, so click the activity-bar entry instead). */
  async openExplorer(): Promise<void> {
    if (await this.page.locator('.explorer-folders-view').isVisible()) return;
    await this.activityBarItem('Explorer').click();
    await this.page.locator('.explorer-folders-view').waitFor({ timeout: this.timeoutMs });
  }

  /** The Explorer row of a top-level file or folder of the workspace. */
  explorerItem(name: string): Locator {
    return this.page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${cssString(name)}"]`);
  }

  /** Opens a file as a person does: double-click in the Explorer. */
  async doubleClickFile(name: string): Promise<void> {
    // The window's extension host registers our custom editor when it activates the extension;
    // a double-click before that opens the file in VS Code's text editor. Our status-bar item
    // exists from activation on, so wait for it first.
    if (name.endsWith('.onnx')) await this.waitForStatusBarItem('EP:');
    await this.openExplorer();
    const row = this.explorerItem(name);
    await row.waitFor({ timeout: this.timeoutMs });
    await row.dblclick();
  }

  /** Right-clicks a file in the Explorer and returns the context menu's item labels (menu left open). */
  async contextMenuOf(name: string): Promise<string[]> {
    await this.openExplorer();
    const row = this.explorerItem(name);
    await row.waitFor({ timeout: this.timeoutMs });
    await row.click();
    await row.click({ button: 'right' });
    return this.contextMenuItems();
  }

  /** Selects the files (click, then Ctrl+click), right-clicks the last and returns the menu's labels. */
  async contextMenuOfSelection(names: readonly string[]): Promise<string[]> {
    await this.openExplorer();
    const rows = names.map((n) => this.explorerItem(n));
    for (const [i, row] of rows.entries()) {
      await row.waitFor({ timeout: this.timeoutMs });
      await row.click({ modifiers: i === 0 ? [] : ['Control'] });
    }
    const selected = this.page.locator('.explorer-folders-view .monaco-list-row.selected');
    await waitFor(`${names.length} selected Explorer rows`, async () => ((await selected.count()) === names.length ? true : undefined), this.timeoutMs);
    const last = rows[rows.length - 1];
    if (!last) throw new Error('contextMenuOfSelection needs at least one file');
    await last.click({ button: 'right' });
    return this.contextMenuItems();
  }

  /** Labels of the open context menu, once it has rendered. */
  async contextMenuItems(): Promise<string[]> {
    const items = this.page.locator('.context-view .monaco-menu .action-menu-item .action-label');
    await items.first().waitFor({ timeout: this.timeoutMs });
    return texts(items);
  }

  /**
   * Clicks an item of the open context menu by its label, until the menu closes (running the item
   * closes it). A click that lands right after the menu opened is sometimes ignored by the menu
   * (seen with the Restricted Mode banner shifting the layout); it is then clicked again.
   */
  async clickContextMenuItem(label: string): Promise<void> {
    const menu = this.page.locator('.context-view .monaco-menu');
    const item = menu.locator('.action-menu-item', { hasText: label }).first();
    await item.waitFor({ timeout: this.timeoutMs });
    await waitFor(`the context menu to close after clicking "${label}"`, async () => {
      if (!(await menu.isVisible())) return true;
      await item.click({ timeout: 2000 }).catch(() => undefined);
      return undefined;
    }, this.timeoutMs, 500);
  }

  /** Closes any open menu, quick pick or hover. */
  async escape(): Promise<void> {
    await this.page.keyboard.press('Escape');
  }

  // --- Command palette ----------------------------------------------------------------------------

  private quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** Opens the palette (F1) and types `text` after the '>' prefix. */
  private async openPalette(text: string): Promise<Locator> {
    const widget = this.quickInput();
    const input = widget.locator('input.input');
    await this.page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: this.timeoutMs });
    await input.fill(`>${text}`);
    return widget;
  }

  /** Labels of the palette rows shown, in display order (each row's aria-label is its label). */
  private async paletteRows(widget: Locator): Promise<string[]> {
    const rows = await widget.locator('.quick-input-list .monaco-list-row').all();
    const labels = await Promise.all(rows.map((row) => row.getAttribute('aria-label')));
    return labels.filter((label): label is string => label !== null && label.length > 0);
  }

  /**
   * Opens the palette, types `prefix` and returns every listed command whose label starts with
   * it (the palette stays open until {@link escape}). Waits until the list stops changing.
   */
  async paletteCommands(prefix: string): Promise<string[]> {
    const widget = await this.openPalette(prefix);
    let previous = '';
    let stableSince = 0;
    return waitFor(`palette entries for "${prefix}"`, async () => {
      const rows = (await this.paletteRows(widget)).filter((label) => label.startsWith(prefix));
      const key = rows.join('\n');
      // The palette fills in asynchronously (extension commands arrive after built-ins): accept
      // a list only once it is non-empty and unchanged across consecutive reads ~0.5 s apart.
      if (rows.length === 0 || key !== previous) {
        previous = key;
        stableSince = Date.now();
        return undefined;
      }
      return Date.now() - stableSince >= 500 ? rows : undefined;
    }, this.timeoutMs, 250);
  }

  /** Runs a command from the palette by its full label ("Bias Inspector: Open Model…"). */
  async runCommand(label: string): Promise<void> {
    const widget = await this.openPalette(label);
    const row = widget.locator(`.quick-input-list .monaco-list-row[aria-label="${cssString(label)}"]`).first();
    await row.waitFor({ timeout: this.timeoutMs });
    await row.click();
  }

  /** Row labels of an open quick pick (e.g. one a command showed), once it lists at least one. */
  async quickPickItems(): Promise<string[]> {
    const labels = this.quickInput().locator('.quick-input-list .monaco-list-row .label-name');
    await labels.first().waitFor({ timeout: this.timeoutMs });
    return texts(labels);
  }

  // --- Views, status bar, notifications -----------------------------------------------------------

  /** An activity-bar entry by its title (its aria-label starts with the title). */
  activityBarItem(title: string): Locator {
    return this.page.locator(`.activitybar .action-item a.action-label[aria-label^="${cssString(title)}"]`).first();
  }

  /** Opens a view container from the activity bar; resolves once the side bar shows its title. */
  async openViewContainer(title: string): Promise<Locator> {
    const sidebar = this.page.locator('.part.sidebar');
    const heading = sidebar.locator('.composite.title h2', { hasText: title });
    if (!(await heading.isVisible())) await this.activityBarItem(title).click();
    await heading.waitFor({ timeout: this.timeoutMs });
    return sidebar;
  }

  /** Texts of every status-bar item. */
  async statusBarItems(): Promise<string[]> {
    const items = this.page.locator('.part.statusbar .statusbar-item');
    await items.first().waitFor({ timeout: this.timeoutMs });
    return texts(items);
  }

  /** Waits for a status-bar item whose text contains `text` and returns its full text. */
  async waitForStatusBarItem(text: string): Promise<string> {
    const item = this.page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
    await item.waitFor({ timeout: this.timeoutMs });
    return (await item.innerText()).replace(/\s+/g, ' ').trim();
  }

  /** Texts of the notification toasts currently shown. */
  async notifications(): Promise<string[]> {
    return texts(this.page.locator('.notifications-toasts .notification-list-item-message'));
  }

  /** Waits for a notification toast containing `text` and returns its message. */
  async waitForNotification(text: string | RegExp): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-list-item-message', { hasText: text }).first();
    await toast.waitFor({ timeout: this.timeoutMs });
    return (await toast.innerText()).trim();
  }

  // --- Editors and webviews -----------------------------------------------------------------------

  /** The active tab of the active editor group. */
  private activeTab(): Locator {
    return this.page.locator('.editor-group-container.active .tabs-container .tab.active');
  }

  /** File name shown by the active editor tab. */
  async activeTabTitle(): Promise<string> {
    const tab = this.activeTab().first();
    await tab.waitFor({ timeout: this.timeoutMs });
    return (await tab.getAttribute('aria-label')) ?? '';
  }

  /** Waits until the active tab shows the file `name`. */
  async waitForActiveTab(name: string): Promise<void> {
    await this.page.locator(`.editor-group-container.active .tabs-container .tab.active[data-resource-name="${cssString(name)}"]`).first().waitFor({ timeout: this.timeoutMs });
  }

  /** An editor tab (in any group) whose label starts with `title`, e.g. a webview panel's "groups: income-mlp.onnx". */
  editorTab(title: string): Locator {
    return this.page.locator(`.editor-group-container .tabs-container .tab[aria-label^="${cssString(title)}"]`).first();
  }

  /** Rows of the side bar's tree views whose text contains `text` (the side bar must be open). */
  sideBarRows(text: string | RegExp): Locator {
    return this.page.locator('.part.sidebar .monaco-list-row', { hasText: text });
  }

  /**
   * In a workspace that is not trusted (and `security.workspace.trust.startupPrompt: always`):
   * answers VS Code's "Do you trust the authors…?" dialog with "No", waits for the dialog to close
   * and returns the status bar's "Restricted Mode" item. (That item shows before the dialog too,
   * so the dialog itself is what is waited on.)
   */
  async enterRestrictedMode(timeoutMs = 90_000): Promise<string> {
    const dialog = this.page.locator('.monaco-dialog-box', { hasText: 'Do you trust the authors' });
    const no = dialog.locator('.monaco-button', { hasText: /^No, I don.t trust the authors/ }).first();
    await no.waitFor({ timeout: timeoutMs });
    await no.click();
    await dialog.waitFor({ state: 'detached', timeout: this.timeoutMs });
    return this.waitForStatusBarItem('Restricted Mode');
  }

  /** Closes every editor (palette command; no confirmation for readonly custom editors). */
  async closeAllEditors(): Promise<void> {
    await this.runCommand('View: Close All Editors');
    await this.page.locator('.editor-group-container .tab').first().waitFor({ state: 'detached', timeout: this.timeoutMs });
  }

  /**
   * The content frame of the visible webview that contains `selector`. VS Code nests every
   * webview twice: an outer `iframe.webview` (its host page) and, inside it, `iframe#active-frame`
   * with the extension's HTML. Hidden webviews (background editors) are skipped.
   */
  async webviewWith(selector: string, timeoutMs = this.timeoutMs): Promise<Frame> {
    return waitFor(`a visible webview containing ${selector}`, async () => {
      for (const outer of await this.page.locator('iframe.webview').all()) {
        if (!(await outer.isVisible())) continue;
        const outerFrame = await (await outer.elementHandle())?.contentFrame();
        const inner = outerFrame?.locator('iframe#active-frame');
        if (!inner || (await inner.count()) === 0) continue;
        const innerFrame = await (await inner.elementHandle())?.contentFrame();
        if (innerFrame && (await innerFrame.locator(selector).first().isVisible())) return innerFrame;
      }
      return undefined;
    }, timeoutMs, 250);
  }
}
