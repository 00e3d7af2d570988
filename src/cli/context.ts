import type { Backend } from '../backends/backend.js';
import type { Clock } from '../core/clock.js';
import { toJson, toJsonLine } from '../output/json.js';
import type { Style } from '../output/color.js';
import type { TableSpec } from '../output/fit.js';
import { renderRecord, renderTable, type Cell } from '../output/table.js';
import type { IO } from './io.js';

export type Env = Record<string, string | undefined>;

/** Options every command sees, after flags, environment and profile are merged. */
export interface Globals {
  json: boolean;
  color: boolean;
  debug: boolean;
  db?: string;
  server?: string;
  profile?: string;
  insecure?: boolean;
  /** Never prompt (also when CI is set or stdin/stdout is not a terminal). */
  noInput?: boolean;
}

/**
 * What a command handler gets: injected streams, environment and clock, and a lazily opened
 * backend. Handlers never touch `process` directly, so they can be tested without one.
 */
export class CommandContext {
  private opened?: Promise<Backend>;

  constructor(
    readonly io: IO,
    readonly env: Env,
    readonly clock: Clock,
    readonly globals: Globals,
    readonly style: Style,
    private readonly openBackend: (ctx: CommandContext) => Promise<Backend>,
  ) {}

  /** Is a person looking at standard output? Decides tables vs tab-separated lines. */
  get tty(): boolean {
    return Boolean(this.io.stdout.isTTY);
  }

  backend(): Promise<Backend> {
    return (this.opened ??= this.openBackend(this));
  }

  async close(): Promise<void> {
    if (this.opened) await (await this.opened.catch(() => undefined))?.close();
  }

  /** Data goes to stdout. */
  print(text: string): void {
    this.io.stdout.write(text);
  }

  json(value: unknown): void {
    this.print(toJson(value));
  }

  jsonLine(value: unknown): void {
    this.print(toJsonLine(value));
  }

  /** On a terminal, fitted to its width (never a wrapped row); piped, tab-separated. */
  table(spec: TableSpec, rows: Cell[][]): void {
    this.print(renderTable(spec, rows, { tty: this.tty, style: this.style, columns: this.io.stdout.columns }));
  }

  record(pairs: [string, Cell][]): void {
    this.print(renderRecord(pairs, { tty: this.tty, style: this.style }));
  }

  /** Messages go to stderr, so stdout stays clean for pipes. */
  info(message: string): void {
    this.io.stderr.write(`${message}\n`);
  }

  success(message: string): void {
    this.info(`${this.style.green('✓')} ${message}`);
  }

  warn(message: string): void {
    this.info(`${this.style.yellow('warning:')} ${message}`);
  }
}
