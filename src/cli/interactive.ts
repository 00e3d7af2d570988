import { TacError } from '../core/errors.js';
import { importModule } from '../import-module.js';
import type { CommandContext } from './context.js';
import { usageError } from './errors.js';

/**
 * Prompts only where a person is: stdin and stdout are terminals, CI is not set and --no-input
 * was not given. Scripts get an exit-2 error naming the flag to pass instead.
 */
export function canPrompt(ctx: CommandContext): boolean {
  const ci = ctx.env.CI;
  const inCi = ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
  // stdout first: reading process.stdin.isTTY creates the stdin stream (with fs streams, fs/promises and
  // readline, ~2 ms), which a script whose output is piped never needs.
  return !ctx.globals.noInput && !inCi && Boolean(ctx.io.stdout.isTTY) && Boolean(ctx.io.stdin.isTTY);
}

/** The value of a flag, or a prompt for it when a person is there, or exit 2 naming the flag. */
export async function flagOrPrompt<T>(ctx: CommandContext, value: T | undefined, flag: string, ask: (p: Prompts) => Promise<T>): Promise<T> {
  if (value !== undefined) return value;
  if (!canPrompt(ctx)) throw usageError(`${flag} is required when not running interactively`, flag);
  return ask(await prompts(ctx));
}

/** Destructive commands confirm unless --yes; without a person, --yes is required. No is exit 8 (cancelled). */
export async function confirmOrYes(ctx: CommandContext, yes: unknown, question: string): Promise<void> {
  if (yes) return;
  if (!canPrompt(ctx)) throw usageError('--yes required when not running interactively', '--yes');
  const ok = await (await prompts(ctx)).confirm({ message: question, default: false });
  if (!ok) {
    ctx.info('Cancelled; nothing was changed.');
    throw new TacError('cancelled', 'cancelled');
  }
}

type Inquirer = typeof import('@inquirer/prompts');
export interface Prompts {
  input: (cfg: Parameters<Inquirer['input']>[0]) => Promise<string>;
  password: (cfg: Parameters<Inquirer['password']>[0]) => Promise<string>;
  confirm: (cfg: Parameters<Inquirer['confirm']>[0]) => Promise<boolean>;
  select: <V>(cfg: Parameters<Inquirer['select']>[0] & { choices: readonly { name: string; value: V; description?: string }[] }) => Promise<V>;
  search: <V>(cfg: { message: string; source: (term: string | undefined) => Promise<{ name: string; value: V; description?: string }[]> }) => Promise<V>;
}

/**
 * @inquirer/prompts is loaded only when a prompt is shown, bound to the context's streams.
 * Ctrl-C (ExitPromptError) becomes exit 130 with nothing written.
 */
export async function prompts(ctx: CommandContext): Promise<Prompts> {
  const inq = await importModule<typeof import('@inquirer/prompts')>('@inquirer/prompts');
  const context = { input: ctx.io.stdin as NodeJS.ReadableStream, output: ctx.io.stderr as unknown as NodeJS.WritableStream };
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      if (e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError')) throw new TacError('interrupted', 'interrupted');
      throw e;
    }
  };
  return {
    input: (cfg) => guard(inq.input(cfg, context)),
    password: (cfg) => guard(inq.password(cfg, context)),
    confirm: (cfg) => guard(inq.confirm(cfg, context)),
    select: (cfg) => guard(inq.select(cfg as never, context)) as never,
    search: (cfg) => guard(inq.search(cfg as never, context)) as never,
  };
}
