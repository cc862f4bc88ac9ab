// Training and prediction. The SVM is trained twice over one feature space: first on 85 % of each
// label's rows, to score the other 15 % (texts that model never saw) and fit the temperature on those
// scores; then on every row, starting from the first model's solution (which saves about a fifth of
// that second training), for the model that ships with that temperature. Both stop after a few
// passes (see defaultSvmOptions for why). Measured on BANKING77 the shipped model is about one
// point more confident than accurate on texts it never saw: it learnt from more rows than the model
// the temperature was fitted on, and the NLL-optimal temperature is slightly confident already.
import { KeelError } from '../../errors.js';
import { fitTemperature, softmax } from './calibration.js';
import type { LabelledRow } from './dataset.js';
import { buildFeatureSpace, rowOf, selectRows, usedColumns, type BlockWeights, type FeatureSpace } from './features.js';
import { decisionScores, defaultSvmOptions, quantizeWeights, trainOneVsRest, type DualSolution, type QuantizedWeights, type SvmOptions } from './linear-svm.js';
import { createRandom, stratifiedIndices } from './split.js';
import { defaultTermOptions, type TermOptions } from './text-features.js';

export interface Prediction {
  label: string;
  /** Calibrated probability that `label` is right, in [0, 1]. */
  confidence: number;
  /** The next most likely labels after `label`, most likely first. */
  alternatives: Array<{ label: string; confidence: number }>;
}

export interface TrainProgress {
  /** 'features' (texts read), 'calibration' (classes of the model that fits the temperature), 'training' (classes of the final model). */
  phase: string;
  done: number;
  total: number;
}

export interface ClassifierInfo {
  /** Examples the shipped model learnt from. */
  trainedOn: number;
  /** Features in its vocabulary (words, bigrams and character n-grams). */
  features: number;
  temperature: number;
  trainingMs: number;
  formatVersion: number;
  /** Examples the temperature was fitted on (held out from the calibration model). */
  calibratedOn: number;
}

export interface ClassifierModel {
  readonly labels: readonly string[];
  readonly info: ClassifierInfo;
  predict(text: string, topK?: number): Prediction;
}

export interface TrainOptions {
  seed?: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Aborting rejects the training with the signal's reason at the next class or batch of texts. */
  signal?: AbortSignal;
}

/** Everything a trained model is made of; what the artifact stores. */
export interface ClassifierParts {
  labels: string[];
  /** Share of the training rows per label: the answer for a text with no feature the model knows. */
  priors: Float64Array;
  space: FeatureSpace;
  weights: QuantizedWeights;
  info: ClassifierInfo;
}

/** Bumped whenever the artifact's layout or the meaning of a stored field changes. */
export const formatVersion = 1;

/** The recipe; fixed, and measured in bench/classifier.ts. */
export interface Recipe {
  terms: TermOptions;
  /** From `rows` training rows on, terms seen in fewer than `df` texts are dropped (below, every term may matter). */
  minDf: { rows: number; df: number };
  weights: BlockWeights;
  svm: Omit<SvmOptions, 'seed' | 'afterClass'>;
  /** Share of each label held out to fit the temperature. */
  calibrationShare: number;
}

export const defaultRecipe: Recipe = {
  terms: defaultTermOptions, minDf: { rows: 1000, df: 2 }, weights: { words: 1, pairs: 1, chars: 1 }, svm: defaultSvmOptions, calibrationShare: 0.15,
};

export class LinearClassifier implements ClassifierModel {
  readonly labels: readonly string[];
  readonly info: ClassifierInfo;
  private readonly probabilities: Float64Array;

  constructor(readonly parts: ClassifierParts) {
    this.labels = Object.freeze([...parts.labels]);
    this.info = Object.freeze({ ...parts.info });
    this.probabilities = new Float64Array(parts.labels.length);
  }

  predict(text: string, topK = 3): Prediction {
    const vector = this.parts.space.vectorize(text);
    // Without a single known feature the scores are the biases alone, which the small temperature
    // would turn into a confident guess; the training frequencies are the honest answer.
    const p = this.probabilities;
    if (vector.columns.length === 0) p.set(this.parts.priors);
    else softmax(decisionScores(this.parts.weights, vector), this.info.temperature, p);
    const others = Number.isFinite(topK) ? Math.max(0, Math.floor(topK)) : 3;
    const want = Math.min(others, p.length - 1) + 1;
    // Partial selection: only the best few are ordered.
    const best: number[] = [];
    for (let k = 0; k < p.length; k++) {
      if (best.length === want && p[k]! <= p[best[want - 1]!]!) continue;
      let at = best.length === want ? want - 1 : best.length;
      while (at > 0 && p[best[at - 1]!]! < p[k]!) {
        best[at] = best[at - 1]!;
        at--;
      }
      best[at] = k;
      if (best.length > want) best.length = want;
    }
    const [top, ...rest] = best.map((k) => ({ label: this.labels[k]!, confidence: p[k]! }));
    return { label: top!.label, confidence: top!.confidence, alternatives: rest };
  }
}

/**
 * Learns a classifier from labelled rows (at least two labels); see the file comment for how it is
 * calibrated. Yields to the event loop between batches of texts and between classes.
 */
export function trainClassifier(rows: readonly LabelledRow[], options: TrainOptions = {}): Promise<ClassifierModel> {
  return trainWithRecipe(rows, options, defaultRecipe);
}

/** trainClassifier with another recipe: for measuring alternatives, not for production use. */
export async function trainWithRecipe(rows: readonly LabelledRow[], options: TrainOptions, recipe: Recipe): Promise<ClassifierModel> {
  const started = performance.now();
  const seed = options.seed ?? 1;
  const labels = checkRows(rows);
  const classes = labels.length;
  const labelIds = new Map(labels.map((l, i) => [l, i]));
  const targets = Int32Array.from(rows, (r) => labelIds.get(r.label)!);
  const step = async (phase: string, done: number, total: number): Promise<void> => {
    options.onProgress?.({ phase, done, total });
    await new Promise(setImmediate);
    options.signal?.throwIfAborted();
  };
  options.signal?.throwIfAborted();

  const { space, matrix } = await buildFeatureSpace(rows.map((r) => r.text), {
    options: recipe.terms, minDf: rows.length >= recipe.minDf.rows ? recipe.minDf.df : 1, weights: recipe.weights, onTexts: (done, total) => step('features', done, total),
  });
  const svm = { ...recipe.svm, seed };
  const split = stratifiedIndices(rows.map((r) => r.label), recipe.calibrationShare, createRandom(seed));
  // With a single example of every label nothing can be held out; temperature 1 then leaves
  // confidences low and flat (SVM scores are small), erring on the modest side.
  let temperature = 1;
  let start: DualSolution | undefined;
  if (split.test.length > 0) {
    const part = selectRows(matrix, split.train);
    const calibration = await trainOneVsRest(part, space.size, Int32Array.from(split.train, (i) => targets[i]!), classes, {
      ...svm, afterClass: (done, total) => step('calibration', done, total),
    });
    const model = quantizeWeights(calibration.model);
    // Held-out rows are seen as the calibration model would see a new text: features it never
    // learnt are dropped, as they are for the shipped model at prediction time.
    const known = usedColumns(part, space.size);
    const scores = new Float64Array(split.test.length * classes);
    split.test.forEach((r, i) => scores.set(decisionScores(model, space.restrict(rowOf(matrix, r), known)), i * classes));
    temperature = fitTemperature(scores, Int32Array.from(split.test, (i) => targets[i]!), classes).temperature;
    start = calibration.duals.map((partDuals) => {
      const all = new Float64Array(rows.length);
      split.train.forEach((r, i) => (all[r] = partDuals[i]!));
      return all;
    });
  }
  const final = await trainOneVsRest(matrix, space.size, targets, classes, { ...svm, afterClass: (done, total) => step('training', done, total) }, start);
  const info: ClassifierInfo = {
    trainedOn: rows.length, features: space.size, temperature, trainingMs: Math.round(performance.now() - started), formatVersion, calibratedOn: split.test.length,
  };
  const priors = new Float64Array(classes);
  for (const t of targets) priors[t]! += 1 / rows.length;
  return new LinearClassifier({ labels, priors, space, weights: quantizeWeights(final.model), info });
}

/** The sorted distinct labels; refuses what cannot be learnt. */
function checkRows(rows: readonly LabelledRow[]): string[] {
  const bad = rows.findIndex((r) => typeof r?.text !== 'string' || typeof r?.label !== 'string' || r.label === '');
  if (bad >= 0) throw new KeelError('invalid_input', `training row ${bad + 1} has no text or no label`, { hint: 'Every row needs a text and a non-empty label.' });
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  if (labels.length < 2) {
    throw new KeelError('invalid_input', `a classifier needs examples of at least two labels (got ${labels.length === 0 ? 'no examples' : `only "${labels[0]}"`})`, {
      hint: 'Add examples of the other labels it should tell apart.',
    });
  }
  return labels;
}
