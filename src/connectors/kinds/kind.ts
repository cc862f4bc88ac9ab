// What every connector kind is: a typed config (secret *names*, never values), and actions, each
// with the scope a grant must give and the delivery class that says how it survives a crash.
// A kind knows nothing of grants, runs or sandboxes: the connector runtime checks the grant,
// resolves secrets through `ConnectorContext.secret`, and intercepts side effects in sandbox using
// `render` (the exact payload that would have been sent), so every kind gets those for free.
import type { z } from 'zod';
import type { EgressClient } from '../egress.js';

/** How a side effect survives a crash; see DESIGN.md "Guarantees". Reads are `idempotent`. */
export type DeliveryClass = 'idempotent' | 'check-then-act' | 'unsafe';

/** What an action gets besides its own config and input. */
export interface ConnectorContext {
  /**
   * The current value of one of this connector's secrets, by the name its config gives. Throws a
   * KeelError('misconfigured') naming the secret (never its value) when it is not set.
   */
  secret(name: string): Promise<string>;
  /** The guarded client every outbound HTTP call must use (already allowing the connector's allow_hosts). */
  egress: EgressClient;
  /** The run's idempotency key for this step visit: send it where the target honours one. */
  idempotencyKey: string;
  signal: AbortSignal;
}

export interface ActionCall<Config, Input> {
  config: Config;
  input: Input;
  context: ConnectorContext;
}

export interface ConnectorAction<Config, Input> {
  /** The scope a grant must give, `<area>:<verb>` (e.g. `email:send`, `db:read`). */
  scope: string;
  /** Fixed by the action, or by the connector's config (e.g. an HTTP API that honours Idempotency-Key). */
  delivery: DeliveryClass | ((config: Config) => DeliveryClass);
  /** Whether it changes anything outside Keel: side effects are intercepted in sandbox and evals; reads run. */
  sideEffect: boolean;
  /** What the action takes (validated before the call; problems are named by field). */
  input: z.ZodType<Input>;
  /**
   * The payload as the target would receive it, without secrets: shown as "would have sent" in
   * sandbox, and in the review task of an action waiting at the approval boundary.
   */
  render(config: Config, input: Input): unknown;
  /** Performs the action and answers what the step's output becomes (JSON). */
  run(call: ActionCall<Config, Input>): Promise<unknown>;
  /** For check-then-act: whether our reference (from the idempotency key) already exists at the target. */
  check?(call: ActionCall<Config, Input>): Promise<{ exists: boolean; output?: unknown }>;
}

export interface ConnectorKind<Config> {
  kind: string;
  /** One line for the inventory and the docs. */
  description: string;
  /** The connector's settings; fields that name a secret end in `_secret` and hold the secret's name. */
  config: z.ZodType<Config>;
  /** The secret names a config refers to, so the runtime can check they are all set. */
  secretNames(config: Config): string[];
  actions: Readonly<Record<string, ConnectorAction<Config, never>>>;
  /**
   * For a connectors/*.yaml file: its raw config with paths written relative to the project (the
   * folder holding connectors/) made absolute. Only kinds with local paths need it.
   */
  fromProjectFile?(config: Record<string, unknown>, projectDir: string): Record<string, unknown>;
}

/** Helps a kind declare its actions with their input types checked. */
export function defineAction<Config, Input>(action: ConnectorAction<Config, Input>): ConnectorAction<Config, never> {
  return action as unknown as ConnectorAction<Config, never>;
}

/**
 * A kind with its config type erased, for the registry of kinds. Sound because the runtime only
 * ever hands a kind's actions the config its own schema parsed.
 */
export function registeredKind<Config>(kind: ConnectorKind<Config>): ConnectorKind<unknown> {
  return kind as unknown as ConnectorKind<unknown>;
}
