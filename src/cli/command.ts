// What a CLI command is (its words, usage, options, and what it does) and what it is handed.
import type { Config, LoadConfigInput } from '../config/index.js';
import type { ApiClient } from './api-client.js';
import type { Io } from './output.js';

export type Env = Record<string, string | undefined>;
export type ConfigFlags = NonNullable<LoadConfigInput['flags']>;

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The placeholder shown in help (`--stage S`). */
  value?: string;
  description: string;
}

export interface CommandSpec {
  /** The words that select the command: ['review', 'approve']. */
  path: string[];
  /** One line: `keel review approve ID [--comment C]`. */
  usage: string;
  summary: string;
  options?: Record<string, OptionSpec>;
  /** How many positional arguments follow the words. */
  args: { min: number; max: number };
  /** Works on the database directly unless a token is given (bootstrap commands like `users create`). */
  localByDefault?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  args: string[];
  /** A string option's value, undefined when not given. */
  string(name: string): string | undefined;
  /** Whether a boolean option was given. */
  bool(name: string): boolean;
  /** `--json`: print the API's document instead of text. */
  json: boolean;
  io: Required<Io>;
  env: Env;
  /** Reads the configuration once (flags > KEEL_* > keel.yaml > defaults), with `--url` as apiUrl. */
  loadConfig(flags?: ConfigFlags): Readonly<Config>;
  /**
   * A client for the server named by `--url`, else config.apiUrl (KEEL_URL), with `--token` or
   * KEEL_TOKEN; with `--local` (or a command that works locally by default and no token), the same
   * API served in this process on the database directly.
   */
  api(): Promise<ApiClient>;
  /** Releases what api() opened (the local database); main calls it after every command. */
  close(): Promise<void>;
}

/** A command line that cannot be obeyed as written: printed with the usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A finished command's exit code, with the explanation already printed. */
export const exitCodes = { ok: 0, error: 1, usage: 2, invalid: 3, runFailed: 4 } as const;

/** A required string option, or a usage error naming it. */
export function requireOption(ctx: CommandContext, name: string, usage: string): string {
  const value = ctx.string(name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`, usage);
  return value;
}

/** Checks a value against a closed list, or a usage error listing the choices. */
export function oneOf<T extends string>(value: string, choices: readonly T[], what: string, usage: string): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${what} must be one of ${choices.join(', ')}; got "${value}"`, usage);
}

/** Parses a JSON option value, or a usage error saying where it is broken. */
export function parseJsonOption(text: string, what: string, usage: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, usage);
  }
}

/** Parses a whole number within bounds, or a usage error. */
export function parseInteger(text: string, what: string, min: number, max: number, usage: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${what} must be a whole number from ${min} to ${max}; got "${text}"`, usage);
  }
  return n;
}

/** Parses `a,b,c` where every item must be among `choices`, or a usage error naming the bad ones. */
export function parseList<T extends string>(text: string, choices: readonly T[], what: string, usage: string): T[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${what} needs at least one of ${choices.join(', ')}`, usage);
  const bad = items.filter((s) => !(choices as readonly string[]).includes(s));
  if (bad.length > 0) throw new UsageError(`${what}: unknown ${bad.map((b) => `"${b}"`).join(', ')}; must be among ${choices.join(', ')}`, usage);
  return [...new Set(items as T[])];
}
