// Review threshold calibration on BANKING77 with the local classifier: does a threshold chosen on
// one labelled sample, from a one-sided lower bound on precision, keep its promise on cases it never
// saw? Protocol fixed before measuring: a seeded stratified split of the training file into train
// 60 % / calibration 20 % / test 20 % (splitStratified twice: 40 % held out, then half of that);
// train on the 60 %; on the calibration part ask suggestThreshold for target precision 0.98 at 95 %
// confidence (Clopper-Pearson, and Wilson for comparison); apply each threshold to the test part and
// measure coverage and precision there. The oracle is the lowest threshold whose observed precision
// on the test part itself reaches 0.98: what a perfect choice could have covered.
//   BENCH_SEED=1  BENCH_SPLITS=3 (seeds measured for the spread)  BENCH_BANKING77=<path to train.csv>
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readLabelledFile, splitStratified, trainClassifier, type LabelledRow } from '../src/models/classifier/index.js';
import { clopperPearsonLowerBound, suggestThreshold, type ScoredDecision, type ThresholdSuggestion } from '../src/review/calibration.js';
import { repoDir } from './lib/databases.js';
import { otherWorkDuring, waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';

const seed = Number(process.env.BENCH_SEED ?? 1);
const splits = Number(process.env.BENCH_SPLITS ?? 3);
const targetPrecision = 0.98;
const confidenceLevel = 0.95;
const aimCoverage = 0.75;
const dataset = process.env.BENCH_BANKING77
  ?? [join(repoDir, 'workflows/data/banking77/train.csv'), '/work/shared/data/banking77/train.csv'].find((p) => existsSync(p));
const fixed = (v: number) => v.toFixed(3);
const threshold = (t: number | null) => (t === null ? 'none' : t.toFixed(5));

interface Applied { threshold: number | null; accepted: number; correct: number; coverage: number; precision: number }

/** What a threshold does on other cases: how many it sends straight through, and how many of those are right. */
function apply(t: number | null, scored: readonly ScoredDecision[]): Applied {
  const above = t === null ? [] : scored.filter((d) => d.confidence >= t);
  const correct = above.filter((d) => d.correct).length;
  return { threshold: t, accepted: above.length, correct, coverage: above.length / scored.length, precision: above.length === 0 ? 0 : correct / above.length };
}

/** The lowest threshold whose observed precision on these very cases reaches the target. */
function oracle(scored: readonly ScoredDecision[]): Applied {
  const sorted = [...scored].sort((a, b) => b.confidence - a.confidence);
  let best: number | null = null;
  let right = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i]!.correct) right++;
    const endOfBlock = i + 1 === sorted.length || sorted[i + 1]!.confidence !== sorted[i]!.confidence;
    if (endOfBlock && right / (i + 1) >= targetPrecision) best = sorted[i]!.confidence;
  }
  return apply(best, scored);
}

interface SplitOutcome {
  splitSeed: number;
  sizes: { train: number; calibration: number; test: number };
  calibrationAccuracy: number;
  exact: ThresholdSuggestion;
  wilson: ThresholdSuggestion;
  onTest: { exact: Applied; wilson: Applied; oracle: Applied };
  test: ScoredDecision[];
  trainingMs: number;
}

async function measureSplit(rows: readonly LabelledRow[], splitSeed: number): Promise<SplitOutcome> {
  const first = splitStratified(rows, { holdout: 0.4, seed: splitSeed });
  const second = splitStratified(first.test, { holdout: 0.5, seed: splitSeed + 1_000 });
  const [train, calibration, test] = [first.train, second.train, second.test];
  const t0 = performance.now();
  const model = await trainClassifier(train, { seed: splitSeed });
  const trainingMs = performance.now() - t0;
  const score = (part: LabelledRow[]): ScoredDecision[] => part.map((r) => {
    const p = model.predict(r.text, 0);
    return { confidence: p.confidence, correct: p.label === r.label };
  });
  const calibrationScored = score(calibration);
  const testScored = score(test);
  const exact = suggestThreshold(calibrationScored, { targetPrecision, confidenceLevel, method: 'clopper-pearson' });
  const wilson = suggestThreshold(calibrationScored, { targetPrecision, confidenceLevel, method: 'wilson' });
  return {
    splitSeed, sizes: { train: train.length, calibration: calibration.length, test: test.length },
    calibrationAccuracy: calibrationScored.filter((d) => d.correct).length / calibrationScored.length,
    exact, wilson,
    onTest: { exact: apply(exact.threshold, testScored), wilson: apply(wilson.threshold, testScored), oracle: oracle(testScored) },
    test: testScored, trainingMs,
  };
}

async function main(): Promise<void> {
  if (!dataset) throw new Error('BANKING77 train.csv not found: set BENCH_BANKING77 to its path');
  const background = await waitForQuiet();
  const began = Date.now();
  const rows = await readLabelledFile(dataset, { textColumn: 'text', labelColumn: 'category' });
  console.log(`dataset ${dataset}: ${rows.length} rows; split seed ${seed} (60/20/20 stratified)`);
  const { value: head, otherPct } = await otherWorkDuring(() => measureSplit(rows, seed));
  const outcomes = [head];
  for (let s = seed + 1; s < seed + splits; s++) {
    outcomes.push(await measureSplit(rows, s));
    console.log(`split seed ${s} measured`);
  }

  const { exact, wilson, onTest, sizes } = head;
  const target = 'Review threshold calibration (BANKING77)';
  const setting = `train ${sizes.train} / calibration ${sizes.calibration} / test ${sizes.test} rows, split seed ${seed}; target precision ${targetPrecision} at ${confidenceLevel} confidence`;
  const testBound = clopperPearsonLowerBound(onTest.exact.correct, onTest.exact.accepted, confidenceLevel);
  const met = onTest.exact.coverage >= aimCoverage && onTest.exact.precision >= targetPrecision;
  const figures: Figure[] = [
    { target, database: 'n/a', metric: 'threshold chosen on the calibration part (Clopper-Pearson)', value: threshold(exact.threshold), aim: '', met: null, setting: `calibration coverage ${fixed(exact.coverage)}, precision ${fixed(exact.precision)}, lower bound ${fixed(exact.precisionLowerBound)}` },
    { target, database: 'n/a', metric: 'coverage on the test part at that threshold', value: fixed(onTest.exact.coverage), aim: `>= ${aimCoverage}`, met: onTest.exact.coverage >= aimCoverage, setting },
    { target, database: 'n/a', metric: 'precision on the test part at that threshold', value: fixed(onTest.exact.precision), aim: `>= ${targetPrecision}`, met: onTest.exact.precision >= targetPrecision, setting: `${onTest.exact.correct} of ${onTest.exact.accepted} right; one-sided 95 % lower bound ${fixed(testBound)}` },
    { target, database: 'n/a', metric: 'coverage and precision together (the aim)', value: `${fixed(onTest.exact.coverage)} at ${fixed(onTest.exact.precision)}`, aim: `>= ${aimCoverage} at >= ${targetPrecision}`, met, setting },
    { target, database: 'n/a', metric: 'Wilson variant: threshold, test coverage, test precision', value: `${threshold(wilson.threshold)}, ${fixed(onTest.wilson.coverage)}, ${fixed(onTest.wilson.precision)}`, aim: '', met: null, setting: `calibration lower bound ${fixed(wilson.precisionLowerBound)}` },
    { target, database: 'n/a', metric: 'oracle on the test part: threshold, coverage', value: `${threshold(onTest.oracle.threshold)}, ${fixed(onTest.oracle.coverage)}`, aim: '', met: null, setting: 'lowest threshold with observed test precision >= 0.98 (chosen on the test part itself)' },
  ];

  const headTest = head.test;
  const curve = exact.curve.map((p) => {
    const t = apply(p.threshold, headTest);
    return [threshold(p.threshold), fixed(p.coverage), fixed(p.precision), fixed(p.lowerBound), fixed(t.coverage), fixed(t.precision), p.threshold === exact.threshold ? 'chosen' : ''];
  });
  const spread = outcomes.map((o) => [
    o.splitSeed, fixed(o.calibrationAccuracy), threshold(o.exact.threshold), fixed(o.onTest.exact.coverage), fixed(o.onTest.exact.precision),
    threshold(o.wilson.threshold), fixed(o.onTest.wilson.coverage), fixed(o.onTest.wilson.precision), threshold(o.onTest.oracle.threshold), fixed(o.onTest.oracle.coverage),
    `${(o.trainingMs / 1000).toFixed(1)} s`,
  ]);
  const details = [
    `Data: \`${dataset.replace(repoDir, '')}\`, ${rows.length} rows (BANKING77, Casanueva et al. 2020, CC BY 4.0). Split seed ${seed}: a stratified 60/40 split, then the 40 % halved (stratified, seed ${seed + 1_000}) into calibration and test. The classifier trains on the 60 % only; its confidence is its own temperature-calibrated top-label probability. Accuracy on the calibration part ${fixed(head.calibrationAccuracy)}. At least 30 accepted cases are required of a threshold.`,
    '',
    'Trade-off on the headline split (Clopper-Pearson bound on the calibration part, the same threshold applied to the test part):',
    '',
    table(['threshold', 'calibration coverage', 'calibration precision', 'lower bound', 'test coverage', 'test precision', ''], curve),
    '',
    `Over ${outcomes.length} split seeds (each its own train/calibration/test and its own model):`,
    '',
    table(['split seed', 'calibration accuracy', 'CP threshold', 'test coverage', 'test precision', 'Wilson threshold', 'test coverage', 'test precision', 'oracle threshold', 'oracle coverage', 'training'], spread),
  ].join('\n');
  saveResult({
    name: 'calibration', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details,
    backgroundBusyPct: background, otherDuringPct: otherPct,
    data: {
      seed, threshold: exact.threshold, wilsonThreshold: wilson.threshold, testCoverage: onTest.exact.coverage, testPrecision: onTest.exact.precision,
      oracleThreshold: onTest.oracle.threshold, oracleCoverage: onTest.oracle.coverage,
    },
  });
}

await main();
