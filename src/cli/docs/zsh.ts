/**
 * Zsh completion script (`_tac`), generated from the command tree: one `_arguments` function per
 * command, dispatching to subcommands with their descriptions; enumerated values and files are
 * completed, other values show their name.
 */
import { allOptions, GENERATED_NOTE, walk, type DocArg, type DocCommand, type DocModel, type DocOption } from './model.js';

/** Single-quotes a string for zsh. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** Escapes text used inside an _arguments spec (description in [...], message between colons). */
const spec = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\[/g, '\\[').replace(/]/g, '\\]').replace(/:/g, '\\:');
/** Escapes a word inside an `(a b c)` action. */
const word = (s: string): string => s.replace(/([\\\s()'":`$])/g, '\\$1');

const fn = (cmd: DocCommand): string => (cmd.path.length ? `_tac__${cmd.path.map((p) => p.replace(/[^A-Za-z0-9]/g, '_')).join('__')}` : '_tac');

function action(v: Pick<DocOption | DocArg, 'choices' | 'kind'>): string {
  if (v.choices?.length) return `(${v.choices.map(word).join(' ')})`;
  if (v.kind === 'file') return '_files';
  return ' ';
}

function optionSpec(o: DocOption): string {
  const names = [o.long, ...(o.short ? [o.short] : [])];
  const exclusive = o.long === '--help' || o.long === '--version' ? '(- *)' : names.length > 1 ? `(${names.join(' ')})` : '';
  const value = o.value ? `${o.valueOptional ? '::' : ':'}${spec(o.value)}:${action(o)}` : '';
  const desc = `[${spec(o.description)}]`;
  if (names.length > 1) {
    const flags = names.map((n) => (o.value && n.startsWith('--') ? `${n}=` : n));
    return `${q(exclusive)}{${flags.join(',')}}${q(desc + value)}`;
  }
  return q(`${exclusive}${o.long}${o.value ? '=' : ''}${desc}${value}`);
}

function argSpec(a: DocArg, i: number): string {
  return q(`${i + 1}:${a.required ? '' : ':'}${spec(a.name)} -- ${spec(a.description)}:${action(a)}`);
}

function commandFunction(model: DocModel, cmd: DocCommand): string[] {
  const specs = allOptions(model, cmd).map(optionSpec);
  const out: string[] = [`${fn(cmd)}() {`];
  if (!cmd.subcommands.length) {
    specs.push(...cmd.args.map(argSpec));
    out.push('  _arguments -S \\', ...specs.map((s) => `    ${s} \\`), '    && return 0', '  return 1', '}');
    return out;
  }
  out.push(
    '  local curcontext="$curcontext" state state_descr line ret=1',
    '  typeset -A opt_args',
    '  _arguments -C \\',
    ...specs.map((s) => `    ${s} \\`),
    `    ${q(': :->command')} \\`,
    `    ${q('*:: :->args')} \\`,
    '    && ret=0',
    '  case $state in',
    '    command)',
    '      local -a commands',
    '      commands=(',
    ...cmd.subcommands.map((s) => `        ${q(`${s.name.replace(/:/g, '\\:')}:${s.description}`)}`),
    '      )',
    `      _describe -t commands ${q(`tac ${cmd.path.join(' ')} command`.replace(/\s+/g, ' '))} commands && ret=0`,
    '      ;;',
    '    args)',
    '      curcontext="${curcontext%:*:*}:tac-${line[1]}:"',
    '      case $line[1] in',
    ...cmd.subcommands.map((s) => `        ${[s.name, ...s.aliases].map(word).join('|')}) ${fn(s)} && ret=0 ;;`),
    '      esac',
    '      ;;',
    '  esac',
    '  return ret',
    '}',
  );
  return out;
}

export function zshCompletion(model: DocModel): string {
  const lines: string[] = [
    '#compdef tac',
    '# zsh completion for tac',
    `# ${GENERATED_NOTE}`,
    '#',
    '# Install: copy to a directory in $fpath as _tac (then run compinit),',
    '# or run: source <(tac completion zsh)',
    '',
  ];
  for (const cmd of [...walk(model.root).reverse(), model.root]) lines.push(...commandFunction(model, cmd), '');
  lines.push('if [ "$funcstack[1]" = "_tac" ]; then', '  _tac "$@"', 'else', '  compdef _tac tac', 'fi', '');
  return lines.join('\n');
}
