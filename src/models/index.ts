// The models slice owns calling models: building provider clients (OpenAI, Anthropic, OpenAI-compatible)
// behind the guarded egress client, the failure policy (retries, Retry-After, fallbacks, one JSON
// repair), cost and latency per attempt, embeddings, spending budgets, and the local classifiers Keel
// trains and stores. Other slices import it only from here.

export { createModelRouter } from './router.js';
export { createModelServices, type ModelServices, type ModelServicesInput } from './services.js';
export type {
  ModelAttemptRecord,
  ModelCallRequest,
  ModelCallResult,
  ModelErrorClass,
  ModelMessage,
  ModelParameters,
  ModelRouter,
  ModelRouterDeps,
} from './types.js';
export {
  recordModelCall, keepAcceptedAnswer, findAcceptedAnswer, listModelCalls, type ModelCallRecord, type StoredModelCall,
} from './call-records.js';
export { checkBudget, estimateSpend, spendSoFar, type Spend, type SpendEstimate } from './budget.js';
export {
  trainClassifierVersion, storeClassifierVersion, listClassifierVersions, loadClassifier, type ClassifierVersion, type TrainRequest,
} from './classifier-store.js';
export {
  evaluateClassifier, readLabelledFile, parseLabelledText, parseCsv, formatOf, maxListedProblems, splitStratified, createRandom, trainClassifier, serializeClassifier, deserializeClassifier,
  type ClassifierModel, type ClassifierEvaluation, type LabelledRow, type LabelledFormat, type CsvRecord, type Prediction, type TrainProgress,
} from './classifier/index.js';
export { registerModelRoutes, modelSchema, modelCallSchema, publicModelCall } from './routes.js';
