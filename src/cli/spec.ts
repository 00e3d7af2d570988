import type { CommandContext } from './context.js';

/** One flag of a command, declared as data so help, completions and the man page share it. */
export interface OptionSpec {
  /** Commander flags syntax: '--ttl <duration>', '--[no-]letters' is written as two specs. */
  flags: string;
  description: string;
  /** Enumerated values: validated by commander and offered by shell completion. */
  choices?: readonly string[];
  /** Value kind, for completion (files) and the man page. */
  kind?: 'file' | 'duration' | 'time' | 'number' | 'text' | 'user';
}

export interface ArgSpec {
  name: string;
  description: string;
  required?: boolean;
  kind?: OptionSpec['kind'];
}

export interface Example {
  command: string;
  description: string;
}

export interface CommandInput {
  args: string[];
  opts: Record<string, unknown>;
}

/** A handler returns the exit code (0 when it returns nothing). */
export type Handler = (ctx: CommandContext, input: CommandInput) => Promise<number | void>;

/**
 * A command as data plus a lazily imported handler: building the command tree costs nothing,
 * and only the invoked command's module (and its dependencies) is loaded.
 */
export interface CommandSpec {
  name: string;
  description: string;
  args?: ArgSpec[];
  options?: OptionSpec[];
  examples: Example[];
  /** Aliases (e.g. `rm` for delete). */
  aliases?: string[];
  load?: () => Promise<{ run: Handler }>;
  subcommands?: CommandSpec[];
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpec[] = [
  { flags: '--db <path>', description: 'SQLite database file, or a postgres:// URL (default: $TAC_DB or the data dir)', kind: 'file' },
  { flags: '--server <url>', description: 'use this tac server instead of the local database', kind: 'text' },
  { flags: '--profile <name>', description: 'use this stored profile (default: $TAC_PROFILE or the current one)', kind: 'text' },
  { flags: '--insecure', description: 'allow plain http:// to a server that is not on this machine' },
  { flags: '--json', description: 'print machine-readable JSON' },
  { flags: '--no-color', description: 'disable colour (also NO_COLOR)' },
  { flags: '--no-input', description: 'never prompt; fail with exit 2 when a value is missing' },
  { flags: '--debug', description: 'show stack traces for unexpected errors' },
];
