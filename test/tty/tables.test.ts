/**
 * Tables fit the terminal: at 80 and 120 columns no line of `list`, `users search`, `audit`,
 * `agents list` or `config list` is wider than the pane (tmux joins a wrapped line back, so a wrap
 * would show as a longer line), the key columns are there and ids are whole. Piped output keeps
 * every column (checked last).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, makeDirs, runOk, Tmux, type TacDirs } from './helpers/tmux.js';

let dirs: TacDirs;
/** Profiles of their own: the first `config set` would make a profile current for `dirs` too. */
let profileDirs: TacDirs;
const tmux = new Tmux(import.meta.url);
const tacIds: string[] = [];
const agentIds: string[] = [];

beforeAll(async () => {
  checkPrerequisites();
  dirs = makeDirs();
  const run = (...args: string[]) => runOk(args, dirs.env);
  await run('users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--name', 'Alice Liddell');
  await run('users', 'add', '--username', 'bartholomew.longname', '--email', 'bartholomew.longname@a-very-long-domain.example.com',
    '--name', 'Bartholomew Q. Longname-Fitzgerald', '--phone', '+15551234567');
  await run('users', 'add', '--username', 'visitor', '--email', 'visitor.with.a.long.address@conference.example.org', '--guest');
  for (const [user, ...extra] of [['alice'], ['bartholomew.longname', '--starts-at', '+1h'], ['visitor', '--multi-use']]) {
    if (extra.includes('--multi-use')) await run('policy', 'set', '--multi-use-allowed');
    tacIds.push(JSON.parse((await run('generate', '--user', user!, '--verified-by', 'callback', '--json', ...extra)).stdout).id as string);
  }
  for (const name of ['provisioning-job-for-the-visitors-desk', 'desk-1']) {
    agentIds.push(JSON.parse((await run('agents', 'create', '--name', name, '--role', 'provisioner', '--json')).stdout).clientId as string);
  }
  await run('agents', 'revoke', agentIds[1]!, '--yes');
  profileDirs = makeDirs();
  const config = (...args: string[]) => runOk(['config', 'set', ...args], profileDirs.env);
  await config('db', `${profileDirs.root}/a/rather/long/path/to/the/help-desk/database/tac.db`, '--profile', 'lab');
  await config('server', 'https://tac.help-desk.example.com:8443', '--profile', 'work');
  await config('client-id', agentIds[0]!, '--profile', 'work');
}, 60_000);
afterEach(() => tmux.kill());
afterAll(() => {
  tmux.kill();
  dirs?.cleanup();
  profileDirs?.cleanup();
});

/** Runs a command on a terminal `width` columns wide; returns its output lines (without the EXIT line). */
async function show(args: string[], width: number, env = dirs.env): Promise<string[]> {
  tmux.start({ args, env, width, height: 50 });
  const { code, screen } = await tmux.waitForExit();
  expect(code, screen).toBe(0);
  return screen.split('\n').filter((l) => l.trim() && !/^EXIT=/.test(l));
}

const headerOf = (lines: string[]): string[] => lines[1]!.split('│').map((c) => c.trim()).filter(Boolean);

const TABLES: { name: string; args: string[]; key: string[]; whole: () => string[]; env?: () => TacDirs['env'] }[] = [
  { name: 'tac list', args: ['list'], key: ['ID', 'USER', 'STATUS', 'EXPIRES'], whole: () => tacIds },
  { name: 'tac users search', args: ['users', 'search'], key: ['USERNAME', 'STATE', 'EMAIL'], whole: () => ['alice', 'bartholomew.longname', 'visitor'] },
  { name: 'tac audit', args: ['audit'], key: ['AT', 'ACTION', 'OUTCOME', 'USER'], whole: () => [] },
  { name: 'tac agents list --all', args: ['agents', 'list', '--all'], key: ['CLIENT ID', 'NAME', 'ROLE', 'REVOKED'], whole: () => agentIds },
  { name: 'tac config list', args: ['config', 'list'], key: ['PROFILE', 'TYPE', 'LOCATION'], whole: () => ['lab', 'work'], env: () => profileDirs.env },
];

describe('tables fit the terminal', { timeout: 120_000 }, () => {
  for (const width of [80, 120]) {
    it.each(TABLES)(`${width} columns: $name`, async ({ args, key, whole, env }) => {
      const lines = await show(args, width, env?.());
      const wide = lines.filter((l) => [...l].length > width);
      expect(wide, lines.join('\n')).toEqual([]);
      expect(lines[0]).toMatch(/^┌/);
      expect(headerOf(lines)).toEqual(expect.arrayContaining(key));
      for (const w of whole()) expect(lines.join('\n')).toContain(w);
    });
  }

  it('the data does not fit in 120 columns whole: values are cut ("…") or columns dropped', async () => {
    const list = await show(['list'], 120);
    expect(headerOf(list)).not.toContain('ISSUED BY');
    const users = await show(['users', 'search'], 80);
    expect(users.join('\n')).toContain('…');
  });

  it('piped output keeps every column, tab-separated', async () => {
    const r = await runOk(['list'], dirs.env);
    for (const line of r.stdout.trimEnd().split('\n')) expect(line.split('\t')).toHaveLength(8);
  });
});
