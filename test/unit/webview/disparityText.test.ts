import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupEntry, GroupsSection, MetricDisparity } from '../../../extension/protocol/groups';
import { ciLabel, disparityCards, fairnessSummaries, gapSentence, headline } from '../../../webview/charts/disparityText';

const FB: GroupEntry = {
  group: { sex: 'F', race: 'B' }, count: 589, loss: 1.1971169451532635, nan_losses: 0,
  accuracy: 0.6943972835314092, tpr: 0.5857142857142857, positives: 210, negatives: 379,
  ci: { accuracy: [0.6541639585987716, 0.7277528536806468], loss: [1.0376748794275026, 1.37966030791531] },
};
const MA: GroupEntry = { group: { sex: 'M', race: 'A' }, count: 1829, loss: 0.27, nan_losses: 0, accuracy: 0.888, tpr: 0.864, positives: 600, negatives: 1229 };
const TINY: GroupEntry = { group: { sex: 'M', race: 'Z' }, count: 12, loss: 0.5, nan_losses: 0, accuracy: 0.75, tpr: 0, positives: 0, negatives: 12, small: true };

const disparity = (worstGroup: MetricDisparity['worstGroup'], worstValue: number): MetricDisparity =>
  ({ difference: 0.1, ratio: 0.9, toOverallDifference: 0.1, toOverallRatio: 0.9, worstGroup, worstValue });

const section: GroupsSection = {
  sensitive: ['sex', 'race'], task: 'binary', minGroupSize: 30, missingGroup: 0, byColumn: [],
  overall: { count: 6000, loss: 0.2887385597855033, nan_losses: 0, accuracy: 0.8993333333333333, tpr: 0.8875408306112926 },
  byGroup: [MA, FB, TINY],
  disparity: {
    accuracy: disparity({ sex: 'F', race: 'B' }, 0.6943972835314092),
    loss: disparity({ sex: 'F', race: 'B' }, 1.1971169451532635),
    tpr: disparity({ sex: 'M', race: 'Z' }, 0),
    demographic_parity_difference: 0.047710433959110954,
    demographic_parity_ratio: 0.8802075684143534,
    equalized_odds_difference: 0.3904761904761904,
  },
  disparityCi: { demographic_parity_difference: [0.029516259347483656, 0.1047414922645894], demographic_parity_ratio: [0.760550463746825, 0.9258305279185132] },
  bootstrap: { replicates: 200, seed: 1, confidence: 0.95, method: 'percentile' },
};

test('higher-better rate: the gap in percentage points below overall, with the group CI and n', () => {
  assert.equal(
    gapSentence({ metric: 'accuracy', group: 'sex=F, race=B', value: FB.accuracy ?? 0, overall: 0.8993333333333333, interval: [0.6541639585987716, 0.7277528536806468], sample: FB, confidence: 0.95 }),
    'accuracy for sex=F, race=B is 20.5 points below overall (69.4% vs 89.9%), group 95% CI 65.4–72.8%, n=589',
  );
});

test('lower-better rate: FPR above overall in points', () => {
  assert.equal(
    gapSentence({ metric: 'fpr', group: 'sex=F, race=B', value: 0.24538258575197888, overall: 0.09411459683691989, sample: FB }),
    'FPR for sex=F, race=B is 15.1 points above overall (24.5% vs 9.4%), n=589, negatives=379',
  );
});

test('lower-better absolute metric: the absolute gap and the ratio to overall, not points', () => {
  assert.equal(
    gapSentence({ metric: 'loss', group: 'sex=F, race=B', value: 1.1971169451532635, overall: 0.2887385597855033, interval: [1.0376748794275026, 1.37966030791531], sample: FB, confidence: 0.9 }),
    'mean loss for sex=F, race=B is 0.908 above overall (1.2 vs 0.289, 4.15× overall), group 90% CI 1.04–1.38, n=589',
  );
  assert.equal(
    gapSentence({ metric: 'mse', group: 'site=b', value: 2, overall: 2.0000001, sample: { count: 40, loss: 2, nan_losses: 0 } }),
    'MSE for site=b is at overall (2 vs 2), n=40',
  );
});

test('no positives: TPR is 0 (Fairlearn) and the sentence says positives=0', () => {
  assert.equal(
    gapSentence({ metric: 'tpr', group: 'sex=M, race=Z', value: 0, overall: 0.8875408306112926, sample: TINY }),
    'TPR for sex=M, race=Z is 88.8 points below overall (0.0% vs 88.8%), n=12, positives=0 (0/0 shown as 0)',
  );
  assert.equal(
    gapSentence({ metric: 'tpr', group: 'g=x', value: Number.NaN, overall: 0.5, sample: TINY }),
    'TPR for g=x is not defined (n/a), n=12, positives=0 (0/0 shown as 0)',
  );
});

test('cards: one per headline metric, worst group and its CI, small groups flagged', () => {
  const cards = disparityCards(section, ['accuracy', 'tpr', 'selection_rate']);
  assert.deepEqual(cards.map((c) => c.metric), ['accuracy', 'tpr']);
  assert.equal(cards[0]?.sentence, 'accuracy for sex=F, race=B is 20.5 points below overall (69.4% vs 89.9%), group 95% CI 65.4–72.8%, n=589');
  assert.equal(cards[0]?.worse, true);
  assert.equal(cards[0]?.small, false);
  assert.equal(cards[1]?.small, true);
  assert.match(cards[1]?.sentence ?? '', /positives=0/);
  const equal = disparityCards({ ...section, disparity: { tpr: { ...disparity({ sex: 'M', race: 'A' }, 1), difference: 0 } } }, ['tpr']);
  assert.equal(equal[0]?.sentence, 'TPR is 100.0% for all 3 groups: no gap between groups');
  assert.equal(equal[0]?.worse, false);
  const none = disparityCards({ ...section, disparity: { accuracy: disparity(null, Number.NaN) } }, ['accuracy']);
  assert.equal(none[0]?.sentence, 'accuracy is not defined for any group');
});

test('fairness summaries: differences in points, ratios plain, with their intervals and definitions', () => {
  const s = fairnessSummaries(section.disparity, section.disparityCi, 0.95);
  assert.deepEqual(s.map((x) => x.key), ['demographic_parity_difference', 'demographic_parity_ratio', 'equalized_odds_difference']);
  assert.equal(s[0]?.text, '4.8 points (95% CI 3.0–10.5)');
  assert.equal(s[1]?.text, '0.88 (95% CI 0.761–0.926)');
  assert.equal(s[2]?.text, '39.0 points');
  assert.equal(s[1]?.ideal, '1');
  assert.match(s[0]?.definition ?? '', /selection rate/);
  assert.equal(ciLabel(0.9), '90% CI');
});

test('headline names the worst group in plain words', () => {
  assert.equal(headline(section), 'Worst group: sex=F, race=B — accuracy 69.4% vs 89.9% overall, 20.5 points lower (n=589).');
  const small = { ...section, disparity: { accuracy: disparity({ sex: 'M', race: 'Z' }, 0.75) } };
  assert.equal(headline(small), 'Worst group: sex=M, race=Z — accuracy 75.0% vs 89.9% overall, 14.9 points lower (n=12; a small group (fewer than 30 rows), read with care).');
  const flat = { ...section, disparity: { accuracy: { ...disparity({ sex: 'M', race: 'A' }, 0.9), difference: 0 } } };
  assert.equal(headline(flat), 'No gap: accuracy is 90.0% for all 3 groups (overall 89.9%).');
  assert.equal(headline({ ...section, byGroup: [] }), 'No group has any rows.');
  const regression: GroupsSection = { ...section, task: 'regression', disparity: { loss: disparity({ sex: 'F', race: 'B' }, 1.1971169451532635) } };
  assert.equal(headline(regression), 'Worst group: sex=F, race=B — mean loss 1.2 vs 0.289 overall, 0.908 higher (n=589).');
});
