// One-vs-rest linear SVM trained by dual coordinate descent (Hsieh et al. 2008, the solver behind
// liblinear): one pass touches each training row once, needs no learning rate, and shrinking drops
// rows that are already far on the right side, so most of the work goes to the hard ones. Weights are
// returned feature-major (all classes of a feature side by side), which is what prediction reads,
// and shipped as 8-bit levels (below).
import { KeelError } from '../../errors.js';
import { createRandom, shuffleInPlace } from './split.js';
import type { SparseRows, SparseVector } from './features.js';

export interface SvmOptions {
  /** Inverse regularisation strength (liblinear's C). */
  c: number;
  /** 'l2' is the squared hinge (smoother scores, liblinear's default); 'l1' the plain hinge. */
  loss: 'l1' | 'l2';
  /** Stop when the projected gradient's spread falls under this (liblinear's default is 0.1). */
  tolerance: number;
  /** Passes over the rows at most (a warm start gets as many again). */
  maxEpochs: number;
  seed: number;
  /** Awaited after each class, so long training yields to the event loop and can be abandoned. */
  afterClass?: (done: number, total: number) => Promise<void>;
}

/**
 * Measured on BANKING77 (three to five seeded 80/20 splits): with word pairs in, C from 1 to 4
 * moves accuracy by less than the splits do; stopping after 6 passes instead of at liblinear's
 * tolerance loses nothing (it regularises a little) and saves about a fifth of the training time.
 */
export const defaultSvmOptions: Omit<SvmOptions, 'seed'> = { c: 2, loss: 'l2', tolerance: 0.1, maxEpochs: 6 };

export interface LinearWeights {
  classes: number;
  features: number;
  /** weights[feature * classes + class]. */
  weights: Float32Array;
  bias: Float32Array;
}

/** The dual variables of each class's problem (one per training row); they let a later fit on more rows start where this one ended. */
export type DualSolution = Float64Array[];

/**
 * Trains one binary SVM per class (that class against all others); `targets[r]` is row r's class.
 * `start`, when given, holds each class's dual variables for these rows (0 for rows not seen
 * before): coordinate descent then begins near the optimum instead of at zero.
 */
export async function trainOneVsRest(
  matrix: SparseRows, features: number, targets: Int32Array, classes: number, options: SvmOptions, start?: DualSolution,
): Promise<{ model: LinearWeights; duals: DualSolution }> {
  const weights = new Float32Array(features * classes);
  const bias = new Float32Array(classes);
  const norms = rowSquaredNorms(matrix);
  const w = new Float64Array(features);
  const y = new Int8Array(matrix.rows);
  const duals: DualSolution = [];
  for (let k = 0; k < classes; k++) {
    for (let r = 0; r < matrix.rows; r++) y[r] = targets[r] === k ? 1 : -1;
    const alpha = start?.[k]?.slice() ?? new Float64Array(matrix.rows);
    if (alpha.length !== matrix.rows) throw new KeelError('internal', `warm start for class ${k} has ${alpha.length} rows, not ${matrix.rows}`);
    bias[k] = trainBinary(matrix, norms, y, alpha, w, { ...options, seed: options.seed + k });
    for (let f = 0; f < features; f++) weights[f * classes + k] = w[f]!;
    duals.push(alpha);
    if (options.afterClass) await options.afterClass(k + 1, classes);
  }
  return { model: { classes, features, weights, bias }, duals };
}

function rowSquaredNorms(matrix: SparseRows): Float64Array {
  const out = new Float64Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++) {
    let s = 0;
    for (let p = matrix.rowStart[r]!; p < matrix.rowStart[r + 1]!; p++) s += matrix.values[p]! * matrix.values[p]!;
    out[r] = s;
  }
  return out;
}

/**
 * liblinear's solve_l2r_l1l2_svc with a bias feature of constant 1 (regularised like the others).
 * Starts from the dual variables in `alpha` and leaves the solution there; fills `w` and returns the bias.
 */
function trainBinary(matrix: SparseRows, norms: Float64Array, y: Int8Array, alpha: Float64Array, w: Float64Array, options: SvmOptions): number {
  const n = matrix.rows;
  const { rowStart, columns, values } = matrix;
  const random = createRandom(options.seed);
  const upper = options.loss === 'l1' ? options.c : Number.POSITIVE_INFINITY;
  const diagonal = options.loss === 'l1' ? 0 : 0.5 / options.c;
  const qd = new Float64Array(n);
  const order = new Int32Array(n);
  // w and b follow from the duals: w = sum of alpha_r y_r x_r (b likewise, with the constant feature 1).
  w.fill(0);
  let b = 0;
  for (let r = 0; r < n; r++) {
    qd[r] = norms[r]! + 1 + diagonal;
    order[r] = r;
    if (alpha[r]! > upper) alpha[r] = upper;
    const d = alpha[r]! * y[r]!;
    if (d === 0) continue;
    for (let p = rowStart[r]!; p < rowStart[r + 1]!; p++) w[columns[p]!] = w[columns[p]!]! + d * values[p]!;
    b += d;
  }
  let active = n;
  let maxOld = Number.POSITIVE_INFINITY;
  let minOld = Number.NEGATIVE_INFINITY;
  for (let epoch = 0; epoch < options.maxEpochs; epoch++) {
    let maxNew = Number.NEGATIVE_INFINITY;
    let minNew = Number.POSITIVE_INFINITY;
    shuffleInPlace(order, random, active);
    for (let s = 0; s < active; s++) {
      const r = order[s]!;
      const yr = y[r]!;
      const from = rowStart[r]!;
      const to = rowStart[r + 1]!;
      let dot = b;
      for (let p = from; p < to; p++) dot += w[columns[p]!]! * values[p]!;
      const a = alpha[r]!;
      const g = yr * dot - 1 + a * diagonal;
      let pg = 0;
      if (a === 0) {
        if (g > maxOld) {
          // Shrink: this row sits outside the margin and is likely to stay there.
          active--;
          order[s] = order[active]!;
          order[active] = r;
          s--;
          continue;
        }
        if (g < 0) pg = g;
      } else if (a === upper) {
        if (g < minOld) {
          active--;
          order[s] = order[active]!;
          order[active] = r;
          s--;
          continue;
        }
        if (g > 0) pg = g;
      } else {
        pg = g;
      }
      if (pg > maxNew) maxNew = pg;
      if (pg < minNew) minNew = pg;
      if (Math.abs(pg) > 1e-12) {
        const next = Math.min(Math.max(a - g / qd[r]!, 0), upper);
        const d = (next - a) * yr;
        alpha[r] = next;
        for (let p = from; p < to; p++) w[columns[p]!] = w[columns[p]!]! + d * values[p]!;
        b += d;
      }
    }
    if (maxNew - minNew <= options.tolerance) {
      if (active === n) break;
      // Converged on the shrunk set: check once more on every row before stopping.
      active = n;
      maxOld = Number.POSITIVE_INFINITY;
      minOld = Number.NEGATIVE_INFINITY;
      continue;
    }
    maxOld = maxNew <= 0 ? Number.POSITIVE_INFINITY : maxNew;
    minOld = minNew >= 0 ? Number.NEGATIVE_INFINITY : minNew;
  }
  return b;
}

// The weights a classifier ships with: per feature, its weight for every label stored as 8-bit
// levels times one scale. A float per weight would make a BANKING77-sized model about 21 MB; the
// levels make it 5 MB (2.4 MB gzipped), and rounding moves a score by at most half a level of each
// feature's largest weight, which measured no change in accuracy. The model predicts with the
// quantised weights themselves, so a model and its artifact answer exactly alike.

export interface QuantizedWeights {
  classes: number;
  features: number;
  /** levels[feature * classes + class], in [-127, 127]. */
  levels: Int8Array;
  /** Per feature: the weight of one level. */
  scales: Float32Array;
  bias: Float32Array;
}

export function quantizeWeights(model: LinearWeights): QuantizedWeights {
  const { classes, features, weights } = model;
  const levels = new Int8Array(features * classes);
  const scales = new Float32Array(features);
  for (let f = 0; f < features; f++) {
    const base = f * classes;
    let max = 0;
    for (let k = 0; k < classes; k++) max = Math.max(max, Math.abs(weights[base + k]!));
    if (max === 0) continue;
    const scale = Math.fround(max / 127);
    scales[f] = scale;
    for (let k = 0; k < classes; k++) levels[base + k] = Math.round(weights[base + k]! / scale);
  }
  return { classes, features, levels, scales, bias: Float32Array.from(model.bias) };
}

/** Decision scores of one vector, one per class: bias plus the weights of its features. */
export function decisionScores(model: QuantizedWeights, vector: SparseVector, out = new Float64Array(model.classes)): Float64Array {
  const k = model.classes;
  const { levels, scales } = model;
  out.set(model.bias);
  for (let i = 0; i < vector.columns.length; i++) {
    const f = vector.columns[i]!;
    const v = vector.values[i]! * scales[f]!;
    if (v === 0) continue;
    const base = f * k;
    for (let c = 0; c < k; c++) out[c] = out[c]! + levels[base + c]! * v;
  }
  return out;
}
