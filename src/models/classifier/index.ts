// The local text classifier: reads labelled CSV/JSONL examples, trains a calibrated linear model on
// them fully offline (TF-IDF words, word pairs and character n-grams; one-vs-rest SVM; temperature
// softmax), predicts with the top alternatives, stores models as versioned artifacts and measures them.
export { readLabelledFile, parseLabelledText, formatOf, maxListedProblems, type LabelledRow, type LabelledFormat, type ColumnOptions } from './dataset.js';
export {
  trainClassifier, formatVersion, type ClassifierModel, type ClassifierInfo, type Prediction, type TrainProgress, type TrainOptions,
} from './classifier.js';
export { parseCsv, type CsvRecord, type CsvProblem } from './csv.js';
export { serializeClassifier, deserializeClassifier } from './artifact.js';
export { evaluateClassifier, expectedCalibrationError, calibrationBins, type ClassifierEvaluation, type LabelScore } from './metrics.js';
export { splitStratified, createRandom } from './split.js';
