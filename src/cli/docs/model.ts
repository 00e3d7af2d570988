/**
 * The command tree normalised for the generators (completions and man page): flags parsed into
 * short/long names and value, the options commander adds by itself (--help, --version) and the
 * implicit `help` commands made explicit. Pure: the same tree always gives the same model.
 */
import type { ArgSpec, CommandSpec, Example, OptionSpec } from '../spec.js';

export type ValueKind = NonNullable<OptionSpec['kind']>;

export interface DocOption {
  /** e.g. '-h' */
  short?: string;
  /** e.g. '--ttl' */
  long: string;
  /** Name of the value ('duration' for '--ttl <duration>'); absent for a switch. */
  value?: string;
  valueOptional?: boolean;
  description: string;
  choices?: readonly string[];
  kind?: ValueKind;
  /** The flags as written in the spec, for display. */
  flags: string;
}

export interface DocArg {
  name: string;
  description: string;
  required: boolean;
  choices?: readonly string[];
  kind?: ValueKind;
}

export interface DocCommand {
  name: string;
  aliases: string[];
  /** Names from the root, e.g. ['users', 'add']; [] for the root. */
  path: string[];
  description: string;
  args: DocArg[];
  /** The command's own options, without the global ones and --help. */
  options: DocOption[];
  examples: Example[];
  subcommands: DocCommand[];
  /** A `help [command]` that commander adds to every command with subcommands. */
  synthetic?: boolean;
}

export interface DocModel {
  root: DocCommand;
  /** Options accepted by every command (before or after the command name). */
  globalOptions: DocOption[];
  /** Options that only the root takes (--version). */
  rootOptions: DocOption[];
  /** --help, which every command takes. */
  helpOption: DocOption;
}

/** Spec args may carry choices (e.g. `tac completion <shell>`); ArgSpec may not declare them yet. */
type ArgWithChoices = ArgSpec & { choices?: readonly string[] };

export function parseOption(o: OptionSpec): DocOption {
  const parts = o.flags.split(/[ ,|]+/).filter(Boolean);
  const short = parts.find((p) => /^-[^-]$/.test(p));
  const long = parts.find((p) => p.startsWith('--'));
  const value = parts.find((p) => /^[<[]/.test(p));
  if (!long) throw new Error(`option "${o.flags}" has no long flag`);
  return {
    ...(short ? { short } : {}),
    long,
    ...(value ? { value: value.slice(1, -1).replace(/\.\.\.$/, ''), valueOptional: value.startsWith('[') } : {}),
    description: o.description,
    ...(o.choices ? { choices: o.choices } : {}),
    ...(o.kind ? { kind: o.kind } : {}),
    flags: o.flags,
  };
}

function toArg(a: ArgWithChoices): DocArg {
  return {
    name: a.name,
    description: a.description,
    required: a.required !== false,
    ...(a.choices ? { choices: a.choices } : {}),
    ...(a.kind ? { kind: a.kind } : {}),
  };
}

function helpCommand(parentPath: string[], siblings: CommandSpec[]): DocCommand {
  return {
    name: 'help',
    aliases: [],
    path: [...parentPath, 'help'],
    description: 'show help for a command',
    args: [{ name: 'command', description: 'the command', required: false, choices: siblings.map((s) => s.name) }],
    options: [],
    examples: [{ command: `tac ${[...parentPath, 'help'].join(' ')} ${siblings[0]?.name ?? ''}`.trim(), description: 'show its flags and examples' }],
    subcommands: [],
    synthetic: true,
  };
}

function toCommand(spec: CommandSpec, parentPath: string[]): DocCommand {
  const path = [...parentPath, spec.name];
  const subs = spec.subcommands ?? [];
  return {
    name: spec.name,
    aliases: [...(spec.aliases ?? [])],
    path,
    description: spec.description,
    args: (spec.args ?? []).map(toArg),
    options: (spec.options ?? []).map(parseOption),
    examples: spec.examples,
    subcommands: subs.length ? [...subs.map((s) => toCommand(s, path)), helpCommand(path, subs)] : [],
  };
}

export interface ProgramInfo {
  description: string;
  examples?: Example[];
}

export function buildModel(commands: readonly CommandSpec[], globalOptions: readonly OptionSpec[], program: ProgramInfo): DocModel {
  const root: DocCommand = {
    name: 'tac',
    aliases: [],
    path: [],
    description: program.description,
    args: [],
    options: [],
    examples: program.examples ?? [],
    subcommands: [...commands.map((c) => toCommand(c, [])), helpCommand([], [...commands])],
  };
  return {
    root,
    globalOptions: globalOptions.map(parseOption),
    rootOptions: [{ short: '-V', long: '--version', description: 'print the version', flags: '-V, --version' }],
    helpOption: { short: '-h', long: '--help', description: 'show help', flags: '-h, --help' },
  };
}

/** Every command, depth first, parents before children (the root excluded). */
export function walk(cmd: DocCommand): DocCommand[] {
  return cmd.subcommands.flatMap((c) => [c, ...walk(c)]);
}

/** The options a command accepts: its own, the global ones, --help (and --version at the root). */
export function allOptions(model: DocModel, cmd: DocCommand): DocOption[] {
  return [...cmd.options, ...model.globalOptions, ...(cmd.path.length === 0 ? model.rootOptions : []), model.helpOption];
}

/** 'users add' for ['users', 'add'], '' for the root. */
export const key = (cmd: DocCommand): string => cmd.path.join(' ');

export const GENERATED_NOTE = 'Generated by `npm run gen` from the command tree (src/cli/commands); do not edit.';
