export { reportModel, inspectReport, reportToJson } from './report';
export type { InspectReport } from '../../protocol/report';
export { groupsCsv, slicesCsv, htmlReport, writeHtmlReport, defaultHtmlAssets, type HtmlAssets } from './export';
export { compareCsv } from './compareCsv';
export { budgetsToSarif } from './sarif';
