export { reportModel, inspectReport, reportToJson, type InspectReport } from './report';
