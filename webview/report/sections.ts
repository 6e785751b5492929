/** Registers every section renderer that exists in this build. */
import { registerSection } from '../sections/registry';
import { renderGroups } from '../sections/groups';
import { renderAttention } from '../sections/attention';
import { renderQuant } from '../sections/quant';
import { renderCompare } from '../sections/compare';

registerSection('groups', renderGroups);
registerSection('attention', renderAttention);
registerSection('quantization', renderQuant);
registerSection('compare', renderCompare);
