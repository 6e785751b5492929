import { check, type Scenario } from '../harness/scenario';

/** The activity-bar container opens and its Reports view shows the empty-workspace welcome. */
export const reportsView: Scenario = {
  name: 'the Bias Inspector activity-bar container opens and its Reports view renders',
  async run({ wb, manifest, shot, log }) {
    const container = manifest.contributes.viewsContainers?.['activitybar']?.find((c) => c.id === 'biasInspector');
    check(container?.title === 'Bias Inspector', 'the manifest has no "Bias Inspector" activity-bar container');
    const sidebar = await wb.openViewContainer(container.title);
    // One view in a container: VS Code merges its name into the container title
    // ("Bias Inspector: Reports") and hides the pane header; with several views the header shows.
    const title = (await sidebar.locator('.composite.title h2').first().innerText()).trim();
    const header = sidebar.locator('.pane-header:not(.hidden)', { hasText: /reports/i });
    check(/reports/i.test(title) || (await header.count()) > 0, `the side bar shows no "Reports" view (title "${title}")`);
    const empty = sidebar.getByText(/No saved reports/).first();
    await empty.waitFor({ timeout: wb.timeoutMs });
    log(`side bar "${title}": ${(await empty.innerText()).replace(/\s+/g, ' ')}`);
    await shot('Reports view, empty workspace');
  },
};
