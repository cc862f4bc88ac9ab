// The shapes every scorer shares: one case as the eval runner hands it over, what a scorer may need
// from the process (the model router for the judge, the workflow's output schema), and one verdict.
import type { ModelRouter } from '../../models/index.js';
import type { ScorerKind } from '../../spec/index.js';

/** One dataset case after the version ran on it. */
export interface ScorerCase {
  /** The case's input as given to the run; the judge shows it, the other scorers ignore it. */
  input?: unknown;
  /** What the run produced (the eval runner decides its shape; the shipped examples assume the run's steps by id). */
  output: unknown;
  /** The case's expected value from the dataset. */
  expected: unknown;
}

export interface ScorerDeps {
  /** Calls the judge's model; without it a judge scorer is misconfigured. */
  models?: ModelRouter;
  /** The JSON Schema a `schema` scorer without its own `json_schema` checks against. */
  outputSchema?: Record<string, unknown>;
  /** The eval run's signal: cancelling the run stops a judge call at once. */
  signal?: AbortSignal;
}

/** Both sides of one classification, kept so the run's precision, recall and confusion can be counted. */
export interface LabelPair {
  /** The output's label; null when it had none (or not a string). */
  predicted: string | null;
  /** The dataset's label; null when the case has none (then it is left out of the label metrics). */
  expected: string | null;
}

/** One scorer's verdict on one case. */
export interface ScoreResult {
  scorer: string;
  kind: ScorerKind;
  passed: boolean;
  /** 0 to 1: the judge's score; 1 or 0 for the scorers that only say right or wrong. */
  score: number;
  /** Why it failed (or the judge's reason), in words safe to show. */
  detail?: string;
  label?: LabelPair;
  /** What the judge's model calls cost, in US dollars. */
  costUsd?: number;
}

/** A verdict before the scorer's name and kind are attached. */
export type Verdict = Omit<ScoreResult, 'scorer' | 'kind'>;

export const pass = (extra: Omit<Verdict, 'passed' | 'score'> = {}): Verdict => ({ passed: true, score: 1, ...extra });
export const fail = (detail: string, extra: Omit<Verdict, 'passed' | 'score' | 'detail'> = {}): Verdict => ({ passed: false, score: 0, detail, ...extra });
