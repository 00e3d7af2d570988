/**
 * Bash completion script, generated from the command tree. The script walks the words before the
 * cursor to find the (sub)command, skipping flags and their values, then completes subcommands,
 * flags, enumerated values (choices) and file names (kind 'file'). Works with bash 3.2+ and does
 * not need the bash-completion package.
 */
import { allOptions, GENERATED_NOTE, key, walk, type DocArg, type DocCommand, type DocModel, type DocOption } from './model.js';

/** Single-quotes a string for bash. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** What to complete for a value: a word list, files, or nothing. */
function valueAction(v: Pick<DocOption | DocArg, 'choices' | 'kind'>): string | undefined {
  if (v.choices?.length) return `__tac_words ${q(v.choices.join(' '))}`;
  if (v.kind === 'file') return '__tac_files';
  return undefined;
}

export function bashCompletion(model: DocModel): string {
  const commands = [model.root, ...walk(model.root)];
  const lines: string[] = [];
  const emit = (...l: string[]) => lines.push(...l);

  emit(
    '# bash completion for tac',
    `# ${GENERATED_NOTE}`,
    '#',
    '# Install: source this file from ~/.bashrc, copy it to /etc/bash_completion.d/tac,',
    '# or run: source <(tac completion bash)',
    '',
  );

  // Node data: subcommands (names only; aliases are recognised but not offered) and flags.
  emit('# __tac_node PATH: sets __tac_subs (subcommands) and __tac_opts (flags) of a command.');
  emit('__tac_node() {', '  case "$1" in');
  for (const c of commands) {
    const subs = c.subcommands.map((s) => s.name).join(' ');
    const opts = allOptions(model, c).flatMap((o) => [o.long, ...(o.short ? [o.short] : [])]).join(' ');
    emit(`    ${q(key(c))}) __tac_subs=${q(subs)}; __tac_opts=${q(opts)} ;;`);
  }
  emit(`    *) __tac_subs=''; __tac_opts='' ;;`, '  esac', '}', '');

  // Child lookup, with aliases.
  emit('# __tac_child PATH WORD: sets __tac_r to the subcommand WORD names (aliases resolved), or empty.');
  emit('__tac_child() {', '  case "$1:$2" in');
  for (const c of commands) {
    for (const s of c.subcommands) {
      const pats = [s.name, ...s.aliases].map((n) => q(`${key(c)}:${n}`)).join('|');
      emit(`    ${pats}) __tac_r=${q(s.name)} ;;`);
    }
  }
  emit(`    *) __tac_r='' ;;`, '  esac', '}', '');

  // Flags that take a value, per command (global ones everywhere).
  emit('# __tac_takes_value PATH FLAG: succeeds when FLAG takes a value.');
  emit('__tac_takes_value() {', '  case "$1:$2" in');
  for (const c of commands) {
    const valued = allOptions(model, c).filter((o) => o.value && !o.valueOptional);
    const pats = valued.flatMap((o) => [o.long, ...(o.short ? [o.short] : [])]).map((f) => q(`${key(c)}:${f}`));
    if (pats.length) emit(`    ${pats.join('|')}) return 0 ;;`);
  }
  emit('  esac', '  return 1', '}', '');

  // Values of flags.
  emit('# __tac_value PATH FLAG: completes the value of FLAG.');
  emit('__tac_value() {', '  case "$1:$2" in');
  for (const c of commands) {
    for (const o of allOptions(model, c)) {
      const action = o.value ? valueAction(o) : undefined;
      if (!action) continue;
      const pats = [o.long, ...(o.short ? [o.short] : [])].map((f) => q(`${key(c)}:${f}`)).join('|');
      emit(`    ${pats}) ${action} ;;`);
    }
  }
  emit('  esac', '}', '');

  // Positional arguments.
  emit('# __tac_arg PATH N: completes the Nth (from 0) positional argument of a command.');
  emit('__tac_arg() {', '  case "$1:$2" in');
  for (const c of commands) {
    c.args.forEach((a, i) => {
      const action = valueAction(a);
      if (action) emit(`    ${q(`${key(c)}:${i}`)}) ${action} ;;`);
    });
  }
  emit('  esac', '}', '');

  emit(
    '# __tac_words "W1 W2 ...": the words that start with the current word (taken literally).',
    '__tac_words() {',
    '  local w words',
    '  read -r -a words <<< "$1"',
    '  for w in "${words[@]}"; do',
    '    [[ $w == "$__tac_cur"* ]] && COMPREPLY+=("$w")',
    '  done',
    '  return 0',
    '}',
    '',
    '__tac_files() {',
    '  local f',
    '  compopt -o filenames 2>/dev/null',
    '  while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -- "$__tac_cur")',
    '}',
    '',
    '_tac() {',
    '  COMPREPLY=()',
    '  local __tac_cur="${COMP_WORDS[COMP_CWORD]}" __tac_subs __tac_opts __tac_r',
    '  local path="" pending="" nargs=0 dashdash="" i w',
    '  # COMP_WORDBREAKS splits --flag=value into --flag, =, value.',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w="${COMP_WORDS[i]}"',
    '    if [[ -n $pending ]]; then',
    '      [[ $w == "=" ]] && continue',
    '      pending=""',
    '      continue',
    '    fi',
    '    if [[ -z $dashdash && $w == -* ]]; then',
    '      if [[ $w == "--" ]]; then dashdash=1; continue; fi',
    '      if [[ $w != *=* ]] && __tac_takes_value "$path" "$w"; then pending="$w"; fi',
    '      continue',
    '    fi',
    '    __tac_child "$path" "$w"',
    '    if [[ -n $__tac_r && $nargs -eq 0 ]]; then',
    '      path="${path:+$path }$__tac_r"',
    '    else',
    '      nargs=$((nargs + 1))',
    '    fi',
    '  done',
    '',
    '  # The value of a flag: after "--flag", or after "--flag=".',
    '  if [[ $__tac_cur == "=" && -n $pending ]]; then',
    '    __tac_cur=""',
    '    __tac_value "$path" "$pending"',
    '    return 0',
    '  fi',
    '  if [[ -n $pending ]]; then',
    '    __tac_value "$path" "$pending"',
    '    return 0',
    '  fi',
    '',
    '  # --flag=value in one word (when COMP_WORDBREAKS has no "="): complete the value after "=".',
    '  if [[ -z $dashdash && $__tac_cur == --*=* ]]; then',
    '    local flag="${__tac_cur%%=*}" k',
    '    __tac_takes_value "$path" "$flag" || return 0',
    '    __tac_cur="${__tac_cur#*=}"',
    '    __tac_value "$path" "$flag"',
    '    for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]="$flag=${COMPREPLY[k]}"; done',
    '    return 0',
    '  fi',
    '',
    '  __tac_node "$path"',
    '  if [[ -z $dashdash && $__tac_cur == -* ]]; then',
    '    __tac_words "$__tac_opts"',
    '    return 0',
    '  fi',
    '  if [[ -n $__tac_subs && $nargs -eq 0 ]]; then',
    '    __tac_words "$__tac_subs"',
    '    return 0',
    '  fi',
    '  __tac_arg "$path" "$nargs"',
    '  return 0',
    '}',
    '',
    'complete -F _tac tac',
    '',
  );
  return lines.join('\n');
}
