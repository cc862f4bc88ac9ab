// The failure policy: the requested model, then its fallbacks, each tried under its own retry
// budget, with one repair for an answer that is not the JSON asked for. Every attempt is handed to
// the caller (onAttempt) before the next one starts, so a crash loses at most the attempt in flight.
//
//   429                -> wait Retry-After (capped) or back off, same model
//   5xx, network       -> back off exponentially, same model
//   no answer in time  -> back off, same model
//   other 4xx          -> next model at once (the same request will fail the same way)
//   malformed / empty  -> one repair with the same model, then the next model
//   caller's abort     -> stop, rethrow its reason

import { runAttempt } from './attempt.js';
import { retryDelay } from './backoff.js';
import type { ResolvedModel } from './providers/registry.js';
import { repairMessage, type OutputChecker } from './structured.js';
import type { ModelAttemptRecord, ModelCallRequest, ModelCallResult, ModelErrorClass, ModelMessage } from './types.js';

export interface ChainRun {
  chain: ResolvedModel[];
  req: ModelCallRequest;
  checker: OutputChecker | undefined;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  now: () => number;
  secrets: readonly string[];
}

/** How one model's turn ended when it did not produce an accepted answer. */
interface ModelFailure {
  name: string;
  errorClass: ModelErrorClass;
  status: number | null;
  tries: number;
}

type ModelTurn = { ok: true; text: string; output: unknown } | { ok: false; failure: ModelFailure };

export async function runChain(run: ChainRun): Promise<ModelCallResult> {
  const attempts: ModelAttemptRecord[] = [];
  const failures: ModelFailure[] = [];
  const state = { lastText: null as string | null };
  for (const resolved of run.chain) {
    const turn = await tryModel(run, resolved, attempts, state);
    if (turn.ok) return { ok: true, model: resolved.name, text: turn.text, output: turn.output, attempts };
    failures.push(turn.failure);
  }
  const last = failures[failures.length - 1];
  const reason = last?.errorClass === 'malformed_output' || last?.errorClass === 'empty_answer'
    ? 'malformed_output'
    : last?.errorClass === 'no_response' ? 'no_response' : 'provider_error';
  const summary = failures.map((f) => `${f.name}: ${f.errorClass}${f.status !== null ? ` (HTTP ${f.status})` : ''} after ${f.tries} attempt${f.tries === 1 ? '' : 's'}`);
  return {
    ok: false,
    reason,
    message: `No model gave a usable answer. ${summary.join('; ')}.`,
    lastText: state.lastText,
    attempts,
  };
}

async function tryModel(
  run: ChainRun,
  resolved: ResolvedModel,
  attempts: ModelAttemptRecord[],
  state: { lastText: string | null },
): Promise<ModelTurn> {
  const { req, checker } = run;
  const system = [req.system, checker?.instruction].filter((s) => s !== undefined && s !== '').join('\n\n') || undefined;
  const json = req.outputSchema ? resolved.jsonRequest(req.outputSchema) : undefined;
  const retries = resolved.config.retries;
  let messages: ModelMessage[] = req.messages;
  let purpose: 'call' | 'repair' = 'call';
  let transientFailures = 0;
  let tries = 0;

  for (;;) {
    req.signal.throwIfAborted();
    const attempt = attempts.length + 1;
    await req.beforeAttempt?.({ model: resolved.name, attempt });
    tries++;
    const outcome = await runAttempt({ resolved, system, messages, parameters: req.parameters, json, purpose, attempt, signal: req.signal, now: run.now, secrets: run.secrets });

    if (outcome.kind === 'failure') {
      await keep(req, attempts, outcome.record);
      const { failure } = outcome;
      if (failure.retriable) transientFailures++;
      if (!failure.retriable || transientFailures >= retries.maxAttempts) {
        return { ok: false, failure: { name: resolved.name, errorClass: failure.errorClass, status: failure.status, tries } };
      }
      await run.sleep(retryDelay(retries, transientFailures, failure), req.signal);
      continue;
    }

    const { text, record } = outcome;
    if (text !== '') state.lastText = text;
    const verdict = checker
      ? checker.check(text)
      : text.trim() === '' ? { ok: false as const, empty: true, problems: ['(root): the answer was empty'] } : { ok: true as const, value: text };
    if (verdict.ok) {
      await keep(req, attempts, record);
      return { ok: true, text, output: verdict.value };
    }
    const errorClass: ModelErrorClass = verdict.empty ? 'empty_answer' : 'malformed_output';
    await keep(req, attempts, { ...record, errorClass, errorMessage: truncate(verdict.problems.join('; ')) });
    if (purpose === 'repair') return { ok: false, failure: { name: resolved.name, errorClass, status: null, tries } };
    // One repair: the model sees its own answer and what was wrong with it. An empty answer is not
    // repeated back (providers refuse empty assistant turns); the note alone asks again.
    purpose = 'repair';
    messages = [
      ...req.messages,
      ...(verdict.empty ? [] : [{ role: 'assistant' as const, content: text }]),
      { role: 'user' as const, content: repairMessage(verdict, checker !== undefined) },
    ];
  }
}

async function keep(req: ModelCallRequest, attempts: ModelAttemptRecord[], record: ModelAttemptRecord): Promise<void> {
  attempts.push(record);
  await req.onAttempt?.(record);
}

function truncate(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
