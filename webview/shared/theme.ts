/**
 * Theme changes. VS Code swaps the body class only when the theme *kind* changes (light, dark,
 * high contrast); switching between two dark themes changes only `data-vscode-theme-id` and the
 * `--vscode-*` variables. Charts that read those variables (canvas heatmaps, exports) re-render
 * on either, once per frame.
 */
const THEME_ATTRIBUTES: readonly string[] = ['class', 'data-vscode-theme-id', 'data-vscode-theme-kind'];

/** Calls `render` after each theme change (coalesced to one call per animation frame). */
export function onThemeChange(render: () => void): void {
  let scheduled = false;
  new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      render();
    });
  }).observe(document.body, { attributes: true, attributeFilter: [...THEME_ATTRIBUTES] });
}
