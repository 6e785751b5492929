import { check, type Scenario } from '../harness/scenario';

/** Every command of the manifest's "Bias Inspector" category is in the command palette. */
export const palette: Scenario = {
  name: 'the command palette lists every "Bias Inspector:" command',
  async run({ wb, manifest, shot, log }) {
    const hidden = new Set((manifest.contributes.menus?.['commandPalette'] ?? []).filter((m) => m.when === 'false').map((m) => m.command));
    const expected = (manifest.contributes.commands ?? [])
      .filter((c) => c.category === 'Bias Inspector' && !hidden.has(c.command))
      .map((c) => `${c.category}: ${c.title}`)
      .sort();
    check(expected.length > 0, 'the manifest declares no "Bias Inspector" commands');
    const listed = await wb.paletteCommands('Bias Inspector:');
    await shot('palette filtered to Bias Inspector');
    await wb.escape();
    const missing = expected.filter((c) => !listed.includes(c));
    // VS Code adds "Focus on <view> View" for each contributed view, in the container's category.
    const views = Object.values(manifest.contributes.views ?? {}).flat().map((v) => `Bias Inspector: Focus on ${v.name} View`);
    const extra = listed.filter((c) => !expected.includes(c) && !views.includes(c));
    log(`${listed.length} commands listed`);
    check(missing.length === 0 && extra.length === 0, `palette vs package.json: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`);
  },
};
