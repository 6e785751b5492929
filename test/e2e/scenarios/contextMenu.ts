import { check, type Scenario } from '../harness/scenario';

const SINGLE = ['Analyze Groups…', 'Attention Heatmaps…', 'Probe Language Model…', 'Quantization Error…', 'Find Slices…', 'Threshold What-If…'];
const COMPARE = 'Compare Models';

/** The Explorer's context menu offers our analyses on a model, and Compare Models on two. */
export const contextMenu: Scenario = {
  name: 'right-clicking a .onnx shows our items; Compare Models appears for two selected models',
  async run({ wb, shot, log }) {
    const one = await wb.contextMenuOf('income-mlp.onnx');
    log(`one model: ${one.join(' | ')}`);
    await shot('context menu of one model');
    for (const label of SINGLE) check(one.includes(label), `the context menu of income-mlp.onnx lacks "${label}": ${one.join(' | ')}`);
    check(!one.includes(COMPARE), `"${COMPARE}" is offered for a single model`);
    await wb.escape();

    const two = await wb.contextMenuOfSelection(['income-mlp.onnx', 'tiny-transformer.onnx']);
    log(`two models: ${two.join(' | ')}`);
    await shot('context menu of two selected models');
    check(two.includes(COMPARE), `the context menu of two selected models lacks "${COMPARE}": ${two.join(' | ')}`);
    await wb.escape();

    const data = await wb.contextMenuOf('income.csv');
    check(![...SINGLE, COMPARE].some((label) => data.includes(label)), `a .csv offers model actions: ${data.join(' | ')}`);
    await wb.escape();
  },
};
