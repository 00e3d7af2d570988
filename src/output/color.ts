import { importModule } from '../import-module.js';

type Env = Record<string, string | undefined>;

/**
 * Colour on a TTY unless NO_COLOR (any non-empty value) or --no-color; CLICOLOR_FORCE or
 * FORCE_COLOR (non-zero) force it on even when piped. --no-color always wins.
 */
export function colorEnabled(opts: { flag: boolean; isTTY: boolean; env: Env }): boolean {
  if (!opts.flag) return false;
  if (opts.env.NO_COLOR) return false;
  const force = opts.env.CLICOLOR_FORCE ?? opts.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return opts.isTTY && opts.env.TERM !== 'dumb';
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const plain = (s: string) => s;
export const PLAIN_STYLE: Style = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };

/** chalk is imported only when colour is on: piped runs do not pay for it. */
export async function loadStyle(enabled: boolean): Promise<Style> {
  if (!enabled) return PLAIN_STYLE;
  const { Chalk } = await importModule<typeof import('chalk')>('chalk');
  const c = new Chalk({ level: 1 });
  return { bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan };
}
