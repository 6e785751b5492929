export { reportModel, inspectReport, reportToJson } from './report';
export type { InspectReport } from '../../protocol/report';
export { groupsCsv, htmlReport, writeHtmlReport, defaultHtmlAssets, type HtmlAssets } from './export';
