/**
 * Fish completion script, generated from the command tree. `__tac_path` walks the command line to
 * find the (sub)command, so nested commands with the same name (users import, guests import) get
 * their own flags; files are completed only for kind 'file'.
 */
import { allOptions, GENERATED_NOTE, key, walk, type DocCommand, type DocModel, type DocOption } from './model.js';

/** Single-quotes a string for fish (only \ and ' are special inside). */
const q = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function optionLine(cmd: DocCommand, o: DocOption): string {
  const parts = ['complete -c tac', `-n ${q(`__tac_at ${q(key(cmd))}`)}`, `-l ${o.long.slice(2)}`];
  if (o.short) parts.push(`-s ${o.short.slice(1)}`);
  if (o.value) {
    if (o.choices?.length) parts.push('-x', `-a ${q(o.choices.join(' '))}`);
    else if (o.kind === 'file') parts.push('-r', '-F');
    else parts.push('-x');
  }
  parts.push(`-d ${q(o.description)}`);
  return parts.join(' ');
}

export function fishCompletion(model: DocModel): string {
  const commands = [model.root, ...walk(model.root)];
  const lines: string[] = [
    '# fish completion for tac',
    `# ${GENERATED_NOTE}`,
    '#',
    '# Install: copy to ~/.config/fish/completions/tac.fish,',
    '# or run: tac completion fish | source',
    '',
    '# __tac_child PATH WORD: prints the subcommand WORD names (aliases resolved); fails if none.',
    'function __tac_child',
    '    switch "$argv[1]:$argv[2]"',
  ];
  for (const c of commands) {
    for (const s of c.subcommands) {
      lines.push(`        case ${[s.name, ...s.aliases].map((n) => q(`${key(c)}:${n}`)).join(' ')}`, `            echo ${q(s.name)}`);
    }
  }
  lines.push('        case \'*\'', '            return 1', '    end', 'end', '');

  lines.push('# __tac_takes_value PATH FLAG: succeeds when FLAG takes a value.', 'function __tac_takes_value', '    switch "$argv[1]:$argv[2]"');
  const valued = commands.flatMap((c) =>
    allOptions(model, c)
      .filter((o) => o.value && !o.valueOptional)
      .flatMap((o) => [o.long, ...(o.short ? [o.short] : [])])
      .map((f) => q(`${key(c)}:${f}`)),
  );
  if (valued.length) lines.push(`        case ${valued.join(' ')}`, '            return 0');
  lines.push('    end', '    return 1', 'end', '');

  /** The walk over the words before the cursor, shared by __tac_path and __tac_nargs. */
  const walker = (name: string, comment: string, result: string): string[] => [
    `# ${name}: ${comment}`,
    `function ${name}`,
    '    set -l words (commandline -opc)',
    '    set -e words[1]',
    "    set -l path ''",
    '    set -l skip 0',
    '    set -l nargs 0',
    '    for w in $words',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    "        if string match -q -- '-*' $w",
    "            if not string match -q -- '*=*' $w; and __tac_takes_value \"$path\" $w",
    '                set skip 1',
    '            end',
    '            continue',
    '        end',
    '        set -l child (__tac_child "$path" $w)',
    '        if test -n "$child"; and test $nargs = 0',
    "            set path (string trim -- \"$path $child\")",
    '        else',
    '            set nargs (math $nargs + 1)',
    '        end',
    '    end',
    `    echo ${result}`,
    'end',
    '',
  ];
  lines.push(
    ...walker('__tac_path', 'the command the words before the cursor name, e.g. "users add" ("" for tac itself).', '$path'),
    ...walker('__tac_nargs', 'how many positional arguments the current command has so far.', '$nargs'),
    '# __tac_at PATH: succeeds when the cursor is in command PATH.',
    'function __tac_at',
    '    set -l p (__tac_path)',
    '    test "$p" = "$argv[1]"',
    'end',
    '',
    '# No file names unless a flag or argument takes a file.',
    'complete -c tac -f',
    '',
  );

  for (const c of commands) {
    lines.push(`# tac ${key(c)}`.trimEnd());
    for (const s of c.subcommands) {
      lines.push(`complete -c tac -n ${q(`__tac_at ${q(key(c))}`)} -a ${q(s.name)} -d ${q(s.description)}`);
    }
    for (const o of allOptions(model, c)) lines.push(optionLine(c, o));
    c.args.forEach((a, i) => {
      const cond = q(`__tac_at ${q(key(c))}; and test (__tac_nargs) = ${i}`);
      if (a.choices?.length) lines.push(`complete -c tac -n ${cond} -a ${q(a.choices.join(' '))} -d ${q(a.description)}`);
      else if (a.kind === 'file') lines.push(`complete -c tac -n ${cond} -F`);
    });
    lines.push('');
  }
  return lines.join('\n');
}
