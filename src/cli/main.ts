#!/usr/bin/env node
// The `keel` command. `main` parses the command line, runs one command and answers its exit code;
// it never prints a stack trace. Nothing runs at import time except the entry at the bottom, which
// only fires when this file is the program being run.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { isKeelError } from '../errors.js';
import { ApiProblem, createApiClient, ServerUnreachable, type ApiClient } from './api-client.js';
import { exitCodes, UsageError, type CommandContext, type CommandSpec, type ConfigFlags, type Env } from './command.js';
import {
  accessApproveCommand, accessGrantsCommand, accessInventoryCommand, accessRejectCommand, accessRequestCommand, accessRevokeCommand,
} from './commands/access.js';
import { auditExportCommand, auditListCommand, auditVerifyCommand } from './commands/audit.js';
import { boundarySuggestCommand } from './commands/boundary.js';
import {
  changesApproveCommand, changesListCommand, changesRejectCommand, changesRequestCommand, changesShowCommand, changesWithdrawCommand,
} from './commands/changes.js';
import { connectorsApplyCommand, connectorsSecretCommand } from './commands/connector-config.js';
import { connectorsCommand, connectorsPauseCommand, connectorsResumeCommand, connectorsShowCommand } from './commands/connectors.js';
import { datasetsAddCommand, datasetsAddFromReviewCommand, datasetsCasesCommand, datasetsListCommand, datasetsRemoveCommand } from './commands/datasets.js';
import { datasetsImportCommand } from './commands/datasets-import.js';
import { drillCommand, drillsCommand, gatesCommand, gatesSignCommand, gatesWithdrawCommand, promoteCommand } from './commands/promotion.js';
import { evalCancelCommand, evalCompareCommand, evalListCommand, evalRunCommand, evalShowCommand } from './commands/evals.js';
import { shadowListCommand, shadowShowCommand, shadowStartCommand, shadowStopCommand } from './commands/shadows.js';
import { deployCommand } from './commands/deploy.js';
import { handoffCommand } from './commands/handoff.js';
import { pauseStageCommand, pointCommand, resumeStageCommand, rollbackCommand } from './commands/deployments.js';
import { membersAddCommand, membersListCommand, membersRemoveCommand } from './commands/members.js';
import { metricsCommand, metricsReviewsCommand } from './commands/metrics.js';
import { driftCommand, incidentAckCommand, incidentsCommand, monitorsCommand } from './commands/monitors.js';
import { modelsEvalCommand, modelsListCommand, modelsTrainCommand } from './commands/models.js';
import { promptsDiffCommand, promptsLabelCommand, promptsListCommand, promptsShowCommand } from './commands/prompts.js';
import { reviewListCommand, reviewNextCommand, reviewShowCommand } from './commands/review.js';
import {
  reviewApproveCommand, reviewBulkApproveCommand, reviewClaimCommand, reviewCommentCommand, reviewEditCommand, reviewEscalateCommand,
  reviewRejectCommand, reviewReleaseCommand,
} from './commands/review-decide.js';
import { runCommand } from './commands/run.js';
import { runsCommand, runsShowCommand } from './commands/runs.js';
import { serveCommand } from './commands/serve.js';
import { teamsAddCommand, teamsCreateCommand, teamsListCommand, teamsRemoveCommand } from './commands/teams.js';
import { tokensCreateCommand, tokensListCommand, tokensRevokeCommand } from './commands/tokens.js';
import {
  usersCreateCommand, usersDisableCommand, usersEnableCommand, usersListCommand, usersPasswordLinkCommand, usersRolesCommand,
  usersShowCommand, usersUnlockCommand,
} from './commands/users.js';
import { validateCommand } from './commands/validate.js';
import { whoamiCommand } from './commands/whoami.js';
import { workerCommand } from './commands/worker.js';
import { diffCommand, versionsCommand, workflowsCommand } from './commands/workflows.js';
import { commandHelp, generalUsage, globalOptions, groupUsage } from './help.js';
import { printProblem, processIo, type Io } from './output.js';

export const commands: readonly CommandSpec[] = [
  serveCommand, workerCommand, validateCommand, deployCommand,
  workflowsCommand, versionsCommand, diffCommand, pointCommand, rollbackCommand, pauseStageCommand, resumeStageCommand,
  handoffCommand,
  changesListCommand, changesRequestCommand, changesShowCommand, changesApproveCommand, changesRejectCommand, changesWithdrawCommand,
  runCommand, runsCommand, runsShowCommand,
  reviewListCommand, reviewShowCommand, reviewNextCommand, reviewClaimCommand, reviewReleaseCommand,
  reviewApproveCommand, reviewEditCommand, reviewRejectCommand, reviewEscalateCommand, reviewCommentCommand, reviewBulkApproveCommand,
  metricsCommand, metricsReviewsCommand, monitorsCommand, driftCommand, incidentsCommand, incidentAckCommand, boundarySuggestCommand,
  datasetsListCommand, datasetsCasesCommand, datasetsImportCommand, datasetsAddCommand, datasetsRemoveCommand, datasetsAddFromReviewCommand,
  evalRunCommand, evalListCommand, evalShowCommand, evalCompareCommand, evalCancelCommand,
  shadowStartCommand, shadowListCommand, shadowShowCommand, shadowStopCommand,
  promoteCommand, gatesCommand, gatesSignCommand, gatesWithdrawCommand, drillCommand, drillsCommand,
  auditListCommand, auditExportCommand, auditVerifyCommand,
  usersListCommand, usersShowCommand, usersCreateCommand, usersDisableCommand, usersEnableCommand, usersRolesCommand,
  usersUnlockCommand, usersPasswordLinkCommand,
  tokensCreateCommand, tokensListCommand, tokensRevokeCommand,
  teamsListCommand, teamsCreateCommand, teamsAddCommand, teamsRemoveCommand,
  membersListCommand, membersAddCommand, membersRemoveCommand,
  whoamiCommand,
  promptsListCommand, promptsShowCommand, promptsDiffCommand, promptsLabelCommand,
  modelsListCommand, modelsTrainCommand, modelsEvalCommand,
  connectorsCommand, connectorsShowCommand, connectorsApplyCommand, connectorsSecretCommand, connectorsPauseCommand, connectorsResumeCommand,
  accessInventoryCommand, accessGrantsCommand, accessRequestCommand, accessApproveCommand, accessRejectCommand, accessRevokeCommand,
];

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function parseOptions(specs: CommandSpec['options']): ParseOptions {
  const out: ParseOptions = {};
  for (const [name, o] of Object.entries({ ...specs, ...globalOptions })) {
    out[name] = 'short' in o && o.short ? { type: o.type, short: o.short } : { type: o.type };
  }
  return out;
}

/** The configuration could not be read: a setup problem the user fixes, exit 2. */
class ConfigProblem extends Error {
  constructor(readonly lines: string[]) {
    super(lines[0]);
  }
}

/**
 * Runs the `keel` command line in-process and answers its exit code: 0 ok, 1 error, 2 usage,
 * 3 invalid workflow or input (validate, deploy), 4 a followed run failed.
 */
export async function main(argv: string[], env: Env = process.env, io: Io = processIo): Promise<number> {
  const fullIo: Required<Io> = {
    out: io.out, err: io.err,
    waitForStop: io.waitForStop ?? processIo.waitForStop ?? (() => Promise.resolve()),
    readStdin: io.readStdin ?? processIo.readStdin ?? (() => Promise.resolve('')),
  };
  // `keel help run` is `keel run --help`.
  const line = argv[0] === 'help' ? [...argv.slice(1), '--help'] : argv;
  let json = false;
  try {
    // First pass, lenient: find the command words among the positionals, whatever flags surround them.
    const everyOption = Object.assign({}, ...commands.map((c) => parseOptions(c.options))) as ParseOptions;
    const loose = parseArgs({ args: line, options: everyOption, strict: false, allowPositionals: true });
    json = loose.values.json === true;
    const words = loose.positionals;
    const command = [...commands].sort((a, b) => b.path.length - a.path.length).find((c) => c.path.every((w, i) => words[i] === w));
    if (!command) return noCommand(words, loose.values.help === true, fullIo);

    let values: Record<string, string | boolean | undefined>;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args: line, options: parseOptions(command.options), strict: true, allowPositionals: true }));
    } catch (error) {
      throw new UsageError(error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error), command.usage);
    }
    if (values.help === true) {
      for (const l of commandHelp(command, commands)) fullIo.out(l);
      return exitCodes.ok;
    }
    const args = positionals.slice(command.path.length);
    if (args.length < command.args.min) throw new UsageError('missing arguments', command.usage);
    if (args.length > command.args.max) throw new UsageError(`unexpected argument "${args[command.args.max] ?? ''}"`, command.usage);
    const ctx = createContext(command, args, values, env, fullIo);
    try {
      return await command.run(ctx);
    } finally {
      await ctx.close();
    }
  } catch (error) {
    return report(error, fullIo, json);
  }
}

/** No command matched: the overview (or a group's commands) on stdout when asked for, else on stderr with exit 2. */
function noCommand(words: string[], helpAsked: boolean, io: Required<Io>): number {
  const [first, second] = words;
  const isGroup = commands.some((c) => c.path.length > 1 && c.path[0] === first);
  const lines = isGroup ? groupUsage(first ?? '', commands) : generalUsage(commands);
  if (helpAsked && (words.length === 0 || (isGroup && words.length === 1))) {
    for (const l of lines) io.out(l);
    return exitCodes.ok;
  }
  if (isGroup) io.err(second === undefined ? `error: keel ${first} needs a command` : `error: unknown command "keel ${first} ${second}"`);
  else if (first !== undefined) io.err(`error: unknown command "${first}"`);
  for (const l of lines) io.err(l);
  return exitCodes.usage;
}

function createContext(command: CommandSpec, args: string[], values: Record<string, string | boolean | undefined>, env: Env, io: Required<Io>): CommandContext {
  const url = typeof values.url === 'string' ? values.url : undefined;
  const token = typeof values.token === 'string' ? values.token : undefined;
  let client: Promise<ApiClient> | undefined;
  let closeLocal: (() => Promise<void>) | undefined;
  const ctx: CommandContext = {
    args,
    string: (name) => (typeof values[name] === 'string' ? values[name] : undefined),
    bool: (name) => values[name] === true,
    json: values.json === true,
    io,
    env,
    loadConfig(flags: ConfigFlags = {}) {
      try {
        return loadConfig({ env, flags: { ...flags, apiUrl: url } });
      } catch (error) {
        if (!isKeelError(error)) throw error;
        throw new ConfigProblem([
          `error: ${error.message}`,
          ...error.problems.map((p) => `  ${p.path}: ${p.message}`),
          ...(error.hint ? [`hint: ${error.hint}`] : []),
        ]);
      }
    },
    api() {
      client ??= (async () => {
        const config = ctx.loadConfig();
        const apiToken = token ?? config.apiToken;
        if (values.local === true || (command.localByDefault && !apiToken)) {
          const { openLocalApi } = await import('../app.js');
          const local = await openLocalApi(config, userInfo().username, (message) => io.err(`error: ${message}`));
          closeLocal = local.close;
          return createApiClient('http://local', undefined, (u, init) => local.request(u.pathname + u.search, init));
        }
        return createApiClient(config.apiUrl, apiToken);
      })();
      return client;
    },
    async close() {
      await closeLocal?.();
    },
  };
  return ctx;
}

/** Prints what went wrong, never a stack, and answers the exit code. */
function report(error: unknown, io: Required<Io>, json: boolean): number {
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}`);
    if (error.usage) io.err(`usage: ${error.usage}`);
    return exitCodes.usage;
  }
  if (error instanceof ConfigProblem) {
    for (const line of error.lines) io.err(line);
    return exitCodes.usage;
  }
  if (error instanceof ApiProblem) {
    printProblem(io, json, error.problem);
    return exitCodes.error;
  }
  if (error instanceof ServerUnreachable) {
    io.err(`error: ${error.message}`);
    if (error.hint) io.err(`hint: ${error.hint}`);
    return exitCodes.error;
  }
  if (isKeelError(error)) {
    printProblem(io, false, { status: 0, code: error.code, detail: error.message, hint: error.hint, problems: error.problems });
    return exitCodes.error;
  }
  io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'EADDRINUSE') io.err('hint: another process listens on that address; stop it, or pick another with --port or KEEL_PORT');
  if (code === 'EACCES') io.err('hint: this user may not use that address or folder; pick another port or --data-dir');
  return exitCodes.error;
}

function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  // An error nothing awaited (a listen failure raised as an event) still ends with one line, no stack.
  process.on('uncaughtException', (error) => {
    process.exitCode = report(error, { ...processIo, waitForStop: () => Promise.resolve(), readStdin: () => Promise.resolve('') }, false);
    process.exit();
  });
  void main(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  });
}
