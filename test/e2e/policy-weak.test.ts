import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRun, localDirs, runTac, startServe } from './helpers/tac.js';

/**
 * A policy saved before a rule existed (here: before the guess budget) keeps working, but
 * `policy show` and `tac serve` say it would be refused now, and what to change.
 */
const root = mkdtempSync(join(tmpdir(), 'tac-weak-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a stored policy weaker than today\'s rules', () => {
  it('policy show warns on stderr and still shows it; serve logs a warning and starts', async () => {
    const d = localDirs(root);
    expect((await runTac(['policy', 'set', '--max-failed-attempts', '3'], d.env)).code).toBe(0);
    // 8 digits of 2-9 (2^24) against 100 guesses (10 per 1-minute lockout over 8 h, capped by
    // maxConsecutiveFailures) leaves less than the 2^20 margin: policy set refuses this today.
    const db = new Database(d.db);
    const stored = JSON.parse((db.prepare('SELECT json FROM policy WHERE id = 1').get() as { json: string }).json);
    const weak = { ...stored, complexity: { numbers: true, letters: false, specialCharacters: false }, maxFailedAttempts: 10, lockoutDuration: 1 };
    db.prepare('UPDATE policy SET json = ? WHERE id = 1').run(JSON.stringify(weak));
    db.close();
    expect((await runTac(['policy', 'set', '--max-failed-attempts', '10'], d.env)).code).toBe(2);

    const shown = await runTac(['policy', 'show', '--json'], d.env);
    expect(shown.code, describeRun(shown)).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ maxFailedAttempts: 10, lockoutDuration: 1 });
    expect(shown.stderr).toMatch(/would be refused now: length: codes of 8 characters from an alphabet of 8 have 2\^24\.0 possibilities/);
    expect(shown.stderr.trim().split('\n')).toHaveLength(1);

    const serve = await startServe(['--port', '0', '--db', d.db], d.env);
    try {
      const warning = serve.log().find((l) => l.level === 'warn' && String(l.msg).includes('stored policy would be refused now'));
      expect(warning?.problem, serve.stderr()).toMatch(/2\^24\.0 possibilities/);
    } finally {
      await serve.stop();
    }

    // Once fixed (letters back, fewer guesses), no warning.
    expect((await runTac(['policy', 'set', '--letters', '--max-failed-attempts', '3', '--lockout-duration', '15m'], d.env)).code).toBe(0);
    const fixed = await runTac(['policy', 'show'], d.env);
    expect(fixed.stderr).toBe('');
  });
});
