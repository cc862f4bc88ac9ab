// Usage and help text, generated from the command specs so it cannot drift from what is parsed.
import type { CommandSpec, OptionSpec } from './command.js';

export const globalOptions: Record<string, OptionSpec & { short?: string }> = {
  json: { type: 'boolean', description: "print the API's JSON document instead of text" },
  url: { type: 'string', value: 'U', description: 'the Keel server (default: KEEL_URL, else http://127.0.0.1:4300)' },
  token: { type: 'string', value: 'T', description: 'API token for that server (default: KEEL_TOKEN)' },
  local: { type: 'boolean', description: 'work on the database directly, on its own machine, as the local admin (no server, no token; on the embedded database only while keel serve is stopped)' },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
};

const exitCodeLine = 'exit codes: 0 ok (a run that waits for a review too), 1 error, 2 usage, 3 invalid workflow or input, 4 the run failed, was rejected or canceled';

function optionLines(options: Record<string, OptionSpec & { short?: string }>): string[] {
  const entries = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

/** The overview: every command with its summary. */
export function generalUsage(commands: readonly CommandSpec[]): string[] {
  const names = commands.map((c) => c.path.join(' '));
  const width = Math.max(...names.map((n) => n.length));
  return [
    'usage: keel <command> [options]',
    '',
    'commands:',
    ...commands.map((c, i) => `  ${(names[i] ?? '').padEnd(width)}  ${c.summary}`),
    '',
    'global options:',
    ...optionLines(globalOptions),
    '',
    'keel <command> --help shows the options of a command.',
    exitCodeLine,
  ];
}

/** The commands under one word (`keel review`). */
export function groupUsage(word: string, commands: readonly CommandSpec[]): string[] {
  const members = commands.filter((c) => c.path[0] === word);
  return [`usage: keel ${word} <command> [options]`, '', 'commands:', ...members.map((c) => `  ${c.usage}`), '', 'global options: --json, --url U, --token T, --local, --help'];
}

/** One command's help: usage, what it does, its options and the global ones. */
export function commandHelp(command: CommandSpec, commands: readonly CommandSpec[]): string[] {
  const related = commands.filter((c) => c !== command && c.path[0] === command.path[0]);
  return [
    `usage: ${command.usage}`,
    '',
    command.summary,
    ...(related.length > 0 ? ['', 'see also:', ...related.map((c) => `  ${c.usage}`)] : []),
    '',
    'options:',
    ...optionLines({ ...(command.options ?? {}), ...globalOptions }),
    '',
    exitCodeLine,
  ];
}
