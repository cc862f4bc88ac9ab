// The evals slice owns a workflow's datasets: labelled cases, today added from decided reviews.
// Eval runs (a version executed in sandbox against a dataset and scored), imports and dataset
// versions grow here.
export {
  addCaseFromReview, listCases, datasetNamePattern, defaultDataset,
  type DatasetCase, type AddCaseFromReview, type AddedCase, type ListCasesOptions,
} from './cases.js';
export { registerDatasetRoutes, datasetCaseSchema, addedCaseSchema } from './routes.js';
