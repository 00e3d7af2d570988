import { Command, CommanderError, Option } from 'commander';
import { systemClock, type Clock } from '../core/clock.js';
import { TacError } from '../core/errors.js';
import { colorEnabled, loadStyle } from '../output/color.js';
import { openBackend } from './backend-factory.js';
import { COMMANDS } from './commands/index.js';
import { CommandContext, type Env, type Globals } from './context.js';
import { reportError } from './errors.js';
import { processIO, type IO } from './io.js';
import { route } from './route.js';
import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './spec.js';
import { VERSION_LINE } from './version.js';

export interface MainDeps {
  io?: IO;
  env?: Env;
  clock?: Clock;
}

/** Runs the CLI and returns the exit code. Never calls process.exit, so output is always flushed. */
export async function main(argv: string[], deps: MainDeps = {}): Promise<number> {
  const io = deps.io ?? processIO();
  const env = deps.env ?? process.env;
  const clock = deps.clock ?? systemClock;
  let exitCode = 0;
  let debug = argv.includes('--debug');
  let words: string[];
  try {
    words = route(argv, COMMANDS);
  } catch (e) {
    return reportError(e, io.stderr, debug);
  }

  const program = buildProgram(commandsFor(words), io, async (spec, cmd, args) => {
    const opts = cmd.optsWithGlobals();
    debug = Boolean(opts.debug);
    const globals: Globals = {
      json: Boolean(opts.json),
      color: opts.color !== false,
      debug,
      db: opts.db as string | undefined,
      server: opts.server as string | undefined,
      profile: opts.profile as string | undefined,
      insecure: Boolean(opts.insecure),
      noInput: opts.input === false,
    };
    const style = await loadStyle(colorEnabled({ flag: globals.color, isTTY: Boolean(io.stdout.isTTY), env }));
    const ctx = new CommandContext(io, env, clock, globals, style, openBackend);
    try {
      const { run } = await spec.load!();
      exitCode = (await run(ctx, { args, opts })) ?? 0;
    } finally {
      await ctx.close();
    }
  });

  try {
    await program.parseAsync(words, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors (`tac help CMD` throws 'commander.help' with exit 0);
      // everything else commander rejects is a usage error.
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(e, io.stderr, debug);
  }
  return exitCode;
}

/**
 * The command tree to build: only the command argv starts with, when it names one (building all
 * the commands with their options costs ~4 ms a run), else all of them (root help, a global option
 * first; route() has already turned `help X` into `X --help` and refused unknown commands).
 */
export function commandsFor(argv: readonly string[], specs: CommandSpec[] = COMMANDS): CommandSpec[] {
  const first = argv[0];
  const named = first === undefined ? undefined : specs.find((c) => c.name === first || c.aliases?.includes(first));
  return named ? [named] : specs;
}

type Invoke = (spec: CommandSpec, cmd: Command, args: string[]) => Promise<void>;

export function buildProgram(specs: CommandSpec[], io: IO, invoke: Invoke): Command {
  const program = new Command('tac')
    .description('Issue, verify and manage temporary access codes (TACs) for help desks.')
    .version(VERSION_LINE, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true);
  for (const o of GLOBAL_OPTIONS) program.addOption(toOption(o));
  configure(program, io);
  for (const spec of specs) addCommand(program, spec, io, invoke);
  program.helpCommand('help [command]', 'show help for a command');
  program.addHelpText('after', '\nRun "tac help COMMAND" or "tac COMMAND --help" for a command\'s flags and examples.\nExit codes: 0 ok, 1 unexpected, 2 usage, 3 not found, 4 auth, 5 rejected, 6 verification failed, 7 unreachable.\n');
  return program;
}

function configure(cmd: Command, io: IO): void {
  cmd
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // One line, as every error: commander puts its "(Did you mean …?)" on a second one.
      outputError: (s, write) => write(s.replace(/\n(?=.)/g, ' ')),
    });
}

function addCommand(parent: Command, spec: CommandSpec, io: IO, invoke: Invoke): void {
  const cmd = parent.command(spec.name).description(spec.description);
  for (const alias of spec.aliases ?? []) cmd.alias(alias);
  for (const a of spec.args ?? []) cmd.argument(a.required === false ? `[${a.name}]` : `<${a.name}>`, a.description);
  for (const o of spec.options ?? []) cmd.addOption(toOption(o));
  if (spec.examples.length) {
    const width = Math.max(...spec.examples.map((e) => e.command.length));
    cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e.command.padEnd(width)}  # ${e.description}`).join('\n')}\n`);
  }
  configure(cmd, io);
  if (spec.subcommands) {
    for (const sub of spec.subcommands) addCommand(cmd, sub, io, invoke);
  } else if (spec.load) {
    cmd.action(async (...params: unknown[]) => {
      const command = params[params.length - 1] as Command;
      const args = params.slice(0, -2).filter((p): p is string => typeof p === 'string');
      await invoke(spec, command, args);
    });
  } else {
    throw new TacError('internal', `command ${spec.name} has neither a handler nor subcommands`);
  }
}

function toOption(o: OptionSpec): Option {
  const opt = new Option(o.flags, o.description);
  if (o.choices) opt.choices(o.choices as string[]);
  return opt;
}
