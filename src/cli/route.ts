import { TacError } from '../core/errors.js';
import { GLOBAL_OPTIONS, type CommandSpec } from './spec.js';

/** Global options that take a value (`--db PATH`): their value is not a command word. */
const VALUED = new Set(GLOBAL_OPTIONS.filter((o) => o.flags.includes('<')).map((o) => o.flags.split(' ')[0]));

const names = (s: CommandSpec): string[] => [s.name, ...(s.aliases ?? [])];

/**
 * Follows argv's command words through the tree before commander parses it, to answer what
 * commander gets wrong: `tac help users add` (it prints the help of `users`), and an unknown command
 * with --help (it prints the root help, exit 0). Returns the argv to parse, `help A B` becoming
 * `A B --help`; throws a usage error for a word that names no command where one is expected, with
 * suggestions. Words after a command that has no subcommands are its arguments.
 */
export function route(argv: readonly string[], specs: readonly CommandSpec[]): string[] {
  let level = specs;
  const path: string[] = [];
  const help = new Set<number>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') break;
    if (word.startsWith('-')) {
      if (VALUED.has(word)) i++;
      continue;
    }
    if (word === 'help') {
      help.add(i);
      continue;
    }
    const spec = level.find((s) => names(s).includes(word));
    if (!spec) throw unknownCommand(word, path, level);
    path.push(spec.name);
    if (!spec.subcommands) break;
    level = spec.subcommands;
  }
  return help.size ? [...argv.filter((_, i) => !help.has(i)), '--help'] : [...argv];
}

function unknownCommand(word: string, path: string[], level: readonly CommandSpec[]): TacError {
  const where = path.map((p) => `${p} `).join('');
  const found = suggest(word, level);
  const hint = found.length
    ? `Did you mean ${found.map((f) => `${where}${f}`).join(' or ')}?`
    : `tac ${where}--help lists the commands`;
  return new TacError('usage', `unknown command '${where}${word}' (${hint})`, { field: 'command' });
}

/**
 * What a mistyped command word may have meant, best kind first: commands it begins (`gen`:
 * generate), a subcommand of that name one level down (`add`: users add), then names one or two
 * typos away (`lsit`: list). At most three.
 */
export function suggest(typed: string, level: readonly CommandSpec[]): string[] {
  const word = typed.toLowerCase();
  const prefixed = level.map((s) => names(s).find((n) => n.startsWith(word))).filter((n): n is string => n !== undefined);
  if (word && prefixed.length) return prefixed.slice(0, 3);
  const nested = level.flatMap((s) => (s.subcommands ?? []).filter((c) => names(c).includes(word)).map((c) => `${s.name} ${c.name}`));
  if (nested.length) return nested.slice(0, 3);
  let best = 3;
  let found: string[] = [];
  for (const name of level.flatMap(names)) {
    const d = distance(word, name);
    // One typo in a short word, two in a longer one: further than that, a suggestion misleads.
    if (d > 2 || d * 3 > Math.max(word.length, name.length) || d > best) continue;
    if (d < best) found = [];
    best = d;
    found.push(name);
  }
  return found.slice(0, 3);
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
