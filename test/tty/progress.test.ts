/**
 * Import progress: a bar on stderr (rows done, rate, ETA) when stderr is a terminal, cleared when
 * the import ends; nothing but the summary line when piped. Each import gets a fresh database.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, makeDirs, runTac, Tmux, type TacDirs } from './helpers/tmux.js';

/** Large enough that the bar is on screen for a while (the import takes seconds). */
const TTY_ROWS = 3000;
/** Piped, size does not matter: there is never a bar. */
const PIPED_ROWS = 1000;
const BAR = new RegExp(`Importing guests \\[[#-]+\\] \\d+/${TTY_ROWS} rows \\| \\d+ rows/s \\| ETA`);
const BAR_REMAINS = /rows\/s|\[#|\[-|ETA/;

const tmux = new Tmux(import.meta.url);
const made: TacDirs[] = [];
const fresh = (): TacDirs => {
  const d = makeDirs();
  made.push(d);
  return d;
};

function guestsCsv(d: TacDirs, rows: number): string {
  const file = join(d.root, 'guests.csv');
  const lines = ['email,name'];
  for (let i = 1; i <= rows; i++) lines.push(`guest${i}@example.com,Guest ${i}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
function usersCsv(d: TacDirs, rows: number): string {
  const file = join(d.root, 'users.csv');
  const lines = ['username,email,phone,name,guest'];
  for (let i = 1; i <= rows; i++) lines.push(`user${i},user${i}@example.com,,User ${i},false`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
const countLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).length;

beforeAll(() => checkPrerequisites());
afterEach(() => tmux.kill());
afterAll(() => {
  tmux.kill();
  for (const d of made) d.cleanup();
});

describe('import progress', { timeout: 60_000 }, () => {
  it('tac guests import draws a bar on a terminal, then leaves only the summary', async () => {
    const d = fresh();
    const out = join(d.root, 'codes.jsonl');
    tmux.start({ args: ['guests', 'import', guestsCsv(d, TTY_ROWS), '--out', out], env: d.env });

    // Poll for the bar while the import runs. On a very fast machine it may be done before the
    // first look: then only the end state can be checked (and the piped test still holds).
    let sawBar = false;
    await tmux.waitFor((s) => (sawBar ||= BAR.test(s)) || /^EXIT=/m.test(s), 45_000);
    const { code, screen } = await tmux.waitForExit(45_000);
    expect(code, screen).toBe(0);
    if (!sawBar) console.warn('guests import finished before the progress bar could be seen; checked the end state only');
    const summary = new RegExp(`Imported guests: ${TTY_ROWS} created, 0 reissued, 0 skipped, 0 failed; codes written to `, 'g');
    expect(screen.match(summary), screen).toHaveLength(1);
    // Cleared on completion: no bar left on the screen.
    expect(screen).not.toMatch(BAR_REMAINS);
    expect(countLines(out)).toBe(TTY_ROWS);
  });

  it('piped, tac guests import writes no bar: stderr is exactly the summary line', async () => {
    const d = fresh();
    const out = join(d.root, 'codes.jsonl');
    const r = await runTac(['guests', 'import', guestsCsv(d, PIPED_ROWS), '--out', out], d.env, { timeoutMs: 45_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\r|\x1b/);
    expect(r.stderr).not.toMatch(BAR_REMAINS);
    expect(r.stderr).toBe(`✓ Imported guests: ${PIPED_ROWS} created, 0 reissued, 0 skipped, 0 failed; codes written to ${out}.\n`);
    expect(countLines(out)).toBe(PIPED_ROWS);
  });

  it('tac users import: the summary on a terminal, and nothing else when piped', async () => {
    const d = fresh();
    tmux.start({ args: ['users', 'import', usersCsv(d, PIPED_ROWS)], env: d.env });
    const { code, screen } = await tmux.waitForExit(45_000);
    expect(code, screen).toBe(0);
    expect(screen).toMatch(new RegExp(`Imported users: ${PIPED_ROWS} created, 0 skipped, 0 failed\\.`));
    expect(screen).not.toMatch(BAR_REMAINS);

    const again = fresh();
    const r = await runTac(['users', 'import', usersCsv(again, PIPED_ROWS)], again.env, { timeoutMs: 45_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`✓ Imported users: ${PIPED_ROWS} created, 0 skipped, 0 failed.\n`);
  });
});
