/**
 * The man page (man(7) macros), generated from the command tree and src/cli/reference.ts: every
 * command with its arguments, flags and examples, the global flags, environment, files and exit
 * codes. Deterministic: the date is fixed (reference.MAN_DATE), the footer names the version.
 */
import type { EnvVar, ExitCode, FileEntry } from '../reference.js';
import type { Example } from '../spec.js';
import { GENERATED_NOTE, walk, type DocArg, type DocCommand, type DocModel, type DocOption } from './model.js';

export interface ManReference {
  version: string;
  date: string;
  summary: string;
  description: readonly string[];
  valueKinds: readonly { name: string; description: string }[];
  exitCodes: readonly ExitCode[];
  environment: readonly EnvVar[];
  files: readonly FileEntry[];
}

/** Escapes text for roff: backslashes, non-ASCII characters, and control characters at line start. */
function esc(s: string): string {
  const out = s
    .replace(/\\/g, '\\e')
    .replace(/[^\x20-\x7e]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
  return /^[.']/.test(out) ? `\\&${out}` : out;
}

/** Code-like text (flags, commands): hyphens become \- so they can be copied and searched. */
const code = (s: string): string => esc(s).replace(/-/g, '\\-');
const bold = (s: string): string => `\\fB${code(s)}\\fR`;
const ital = (s: string): string => `\\fI${code(s)}\\fR`;

function optionTag(o: DocOption): string {
  const names = [...(o.short ? [o.short] : []), o.long].map(bold).join(', ');
  if (!o.value) return names;
  return o.valueOptional ? `${names} [${ital(o.value)}]` : `${names} ${ital(o.value)}`;
}

function optionBody(o: DocOption): string {
  let text = esc(o.description).replace(/\.$/, '');
  if (o.choices?.length) text += `. One of: ${o.choices.map(bold).join(', ')}.`;
  return text;
}

const argUsage = (a: DocArg): string => (a.required ? ital(a.name) : `[${ital(a.name)}]`);

function synopsis(cmd: DocCommand): string {
  const parts = [bold(`tac ${cmd.path.join(' ')}`)];
  if (cmd.subcommands.length) parts.push(ital('command'));
  if (cmd.options.length) parts.push(`[${ital('options')}]`);
  parts.push(...cmd.args.map(argUsage));
  return parts.join(' ');
}

/** Each example as its description, then the command in a no-fill block (copied as is). */
function examples(list: readonly Example[]): string[] {
  return list.flatMap((e) => ['.PP', `${esc(e.description)}:`, '.EX', `$ ${code(e.command)}`, '.EE']);
}

const MAX = 80;

/** Splits a text line at spaces into lines of at most MAX bytes (one word may be longer). */
function split(line: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const w of line.split(' ')) {
    if (cur && cur.length + 1 + w.length > max) {
      out.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  out.push(cur);
  return out;
}

/** A text line must not start with a control character. */
const safe = (line: string): string => (/^[.']/.test(line) ? `\\&${line}` : line);

/**
 * Keeps input lines within 80 bytes (mandoc's style check): text in fill mode is split into
 * lines; the tag line after .TP must stay one input line, so it is continued with a backslash.
 */
function wrap(lines: string[]): string[] {
  const out: string[] = [];
  let noFill = false;
  let tag = false;
  for (const line of lines) {
    if (line.startsWith('.')) {
      if (line === '.EX') noFill = true;
      if (line === '.EE') noFill = false;
      tag = line === '.TP';
      out.push(line);
      continue;
    }
    if (noFill || line.length <= MAX) out.push(line);
    else if (tag) {
      const parts = split(line, MAX - 2);
      out.push(...parts.map((p, i) => (i < parts.length - 1 ? `${i ? safe(p) : p} \\` : safe(p))));
    } else out.push(...split(line, MAX).map(safe));
    tag = false;
  }
  return out;
}

function commandSection(cmd: DocCommand): string[] {
  const out = [`.SS ${code(`tac ${cmd.path.join(' ')}`)}`, synopsis(cmd), '.PP', esc(cmd.description)];
  if (cmd.aliases.length) out.push('.PP', `Alias: ${cmd.aliases.map(bold).join(', ')}.`);
  if (cmd.subcommands.length) {
    out.push('.PP', 'Commands:', '.RS 4');
    for (const s of cmd.subcommands) out.push('.TP', bold(s.name), esc(s.description));
    out.push('.RE');
  }
  if (cmd.args.length) {
    out.push('.PP', 'Arguments:', '.RS 4');
    for (const a of cmd.args) {
      let text = esc(a.description);
      if (a.choices?.length) text += `. One of: ${a.choices.map(bold).join(', ')}.`;
      out.push('.TP', ital(a.name), text);
    }
    out.push('.RE');
  }
  if (cmd.options.length) {
    out.push('.PP', 'Options:', '.RS 4');
    for (const o of cmd.options) out.push('.TP', optionTag(o), optionBody(o));
    out.push('.RE');
  }
  if (cmd.examples.length) out.push('.PP', 'Examples:', '.RS 4', ...examples(cmd.examples), '.RE');
  return out;
}

export function manPage(model: DocModel, ref: ManReference): string {
  const commands = walk(model.root).filter((c) => !c.synthetic || c.path.length === 1);
  const top = model.root.subcommands;
  const out: string[] = [
    ...split(GENERATED_NOTE, 76).map((l) => `.\\" ${l}`),
    `.TH TAC 1 ${ref.date} "tac ${esc(ref.version)}" "User Commands"`,
    '.SH NAME',
    `tac \\- ${esc(ref.summary)}`,
    '.SH SYNOPSIS',
    `${bold('tac')} [${ital('global-options')}] ${ital('command')} [${ital('options')}] [${ital('arguments')}]`,
    '.br',
    `${bold('tac help')} [${ital('command')}]`,
    '.br',
    `${bold('tac')} ${bold('--version')}`,
    '.SH DESCRIPTION',
  ];
  ref.description.forEach((p, i) => out.push(...(i ? ['.PP'] : []), esc(p)));
  out.push('.PP', 'Commands:', '.RS 4');
  for (const c of top) out.push('.TP', bold(c.name), esc(c.description));
  out.push('.RE');
  if (ref.valueKinds.length) {
    out.push('.PP', 'Values of flags and arguments:', '.RS 4');
    for (const k of ref.valueKinds) out.push('.TP', ital(k.name), esc(k.description));
    out.push('.RE');
  }

  out.push('.SH OPTIONS', 'These options are accepted by every command, before or after its name.');
  for (const o of [...model.globalOptions, model.helpOption]) out.push('.TP', optionTag(o), optionBody(o));
  for (const o of model.rootOptions) out.push('.TP', optionTag(o), `${optionBody(o)} (only before a command).`);

  out.push('.SH COMMANDS');
  for (const c of commands) out.push(...commandSection(c));

  out.push('.SH ENVIRONMENT');
  for (const e of ref.environment) out.push('.TP', e.names.map(bold).join(', '), esc(e.description));

  out.push('.SH FILES');
  for (const f of ref.files) {
    out.push('.TP', ital(f.path), esc(f.description) + (f.fallback ? `. Default location: ${esc(f.fallback)}.` : ''));
  }

  out.push('.SH EXIT STATUS');
  for (const x of ref.exitCodes) out.push('.TP', bold(String(x.code)), esc(x.detail ? `${x.meaning} (${x.detail})` : x.meaning));

  out.push('.SH EXAMPLES');
  out.push(...examples(top.filter((c) => !c.synthetic).flatMap((c) => c.examples.slice(0, 1))).slice(1));

  out.push('.SH SEE ALSO', `Run ${bold('tac help')} ${ital('command')} for a command's flags and examples.`);
  return `${wrap(out).join('\n')}\n`;
}
