/** Registers every section renderer that exists in this build. */
import { registerSection } from '../sections/registry';
import { renderGroupsReport } from '../sections/groupsTabs';
import { renderAttention } from '../sections/attention';
import { renderQuant } from '../sections/quant';
import { renderSlices } from '../sections/slices';
import { renderThresholds } from '../sections/thresholds';
import { renderProbe } from '../sections/probe';
import { renderCompare } from '../sections/compare';

registerSection('groups', renderGroupsReport);
registerSection('attention', renderAttention);
registerSection('quantization', renderQuant);
registerSection('slices', renderSlices);
registerSection('thresholds', renderThresholds);
registerSection('probe', renderProbe);
registerSection('compare', renderCompare);
