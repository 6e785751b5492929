export { reportModel, inspectReport, reportToJson, type InspectReport } from './report';
export { groupsCsv, htmlReport, writeHtmlReport, defaultHtmlAssets, type HtmlAssets } from './export';
