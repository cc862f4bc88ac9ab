import type { StoredError } from '../errors.js';
import type { Stage } from '../registry/index.js';

export const runStatuses = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'rejected', 'outcome_unknown', 'canceled'] as const;
export type RunStatus = (typeof runStatuses)[number];
export const terminalStatuses: readonly RunStatus[] = ['succeeded', 'failed', 'rejected', 'canceled'];
/** What started a run; `email` is new mail read by the mail poller (see mail-poller.ts). */
export const triggerKinds = ['webhook', 'schedule', 'manual', 'email'] as const;
export type TriggerKind = (typeof triggerKinds)[number];
/**
 * Why a run exists: `live` for every trigger; the others are runs Keel starts to try a version
 * (an eval case, a shadow of a live run, a rollback drill). Those run on the sandbox stage, open no
 * review task and stay out of the live figures.
 */
export const runPurposes = ['live', 'eval', 'shadow', 'drill'] as const;
export type RunPurpose = (typeof runPurposes)[number];

export interface RunRow {
  id: string;
  workflow_id: string;
  version_id: string;
  /** Who started the run by hand (null for webhooks, schedules and email). */
  requested_by: string | null;
  stage: Stage;
  purpose: RunPurpose;
  status: RunStatus;
  wait_reason: 'retry' | 'review' | 'outcome_unknown' | 'paused' | null;
  /** What holds a paused run (`stage`, or `connector:<id>`); its resume releases it. Null unless wait_reason is `paused`. */
  held_by: string | null;
  trigger_kind: TriggerKind;
  dedupe_key: string | null;
  input: unknown;
  /** Outputs of completed steps, by step id: what later steps and resumed runs read. */
  state: Record<string, unknown>;
  current_step: string | null;
  output: unknown;
  error: StoredError | null;
  available_at: Date;
  lease_token: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  claims: number;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'waiting';

export interface AttemptRow {
  id: number;
  run_id: string;
  step_id: string;
  kind: string;
  attempt: number;
  status: AttemptStatus;
  lease_token: string;
  worker: string;
  output: unknown;
  error: StoredError | null;
  delivery: 'idempotent' | 'check-then-act' | 'unsafe' | null;
  idempotency_key: string | null;
  effect: 'started' | 'done' | null;
  next_step: string | null;
  started_at: Date;
  finished_at: Date | null;
}

/** The context expressions (JSONata, CEL) and templates see. */
export interface StepScope {
  input: unknown;
  steps: Record<string, unknown>;
  run: { id: string; workflow: string; stage: Stage; version: string };
}
