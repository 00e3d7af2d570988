/**
 * `tac generate` on a terminal: search and pick the user, attest how the caller was verified,
 * and the one-time display (groups of four, NATO read-out, "will not be shown again").
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, linesAfter, makeDirs, runOk, runTac, Tmux, type TacDirs } from './helpers/tmux.js';

const NATO: Record<string, string> = {
  A: 'Alfa', B: 'Bravo', C: 'Charlie', D: 'Delta', E: 'Echo', F: 'Foxtrot', G: 'Golf', H: 'Hotel', J: 'Juliett', K: 'Kilo',
  M: 'Mike', N: 'November', P: 'Papa', Q: 'Quebec', R: 'Romeo', S: 'Sierra', T: 'Tango', U: 'Uniform', V: 'Victor',
  W: 'Whiskey', X: 'X-ray', Y: 'Yankee', Z: 'Zulu', '2': 'Two', '3': 'Three', '4': 'Four', '5': 'Five', '6': 'Six',
  '7': 'Seven', '8': 'Eight', '9': 'Nine',
};
/** The default policy: 8 characters, digits and upper case without 0 O 1 I L. */
const GROUPED_CODE = /^\s+([2-9A-HJKMNP-Z]{4}) ([2-9A-HJKMNP-Z]{4})\s*$/m;

interface AuditEvent {
  action: string;
  tacId: string | null;
  details: { verifiedBy?: string; verificationNote?: string | null };
}

let dirs: TacDirs;
const tmux = new Tmux(import.meta.url);

beforeAll(async () => {
  checkPrerequisites();
  dirs = makeDirs();
  await runOk(['users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--name', 'Alice Liddell'], dirs.env);
  await runOk(['users', 'add', '--username', 'alicia', '--email', 'alicia@example.com', '--name', 'Alicia Keys', '--guest'], dirs.env);
  await runOk(['users', 'add', '--username', 'bob', '--email', 'bob@example.com', '--name', 'Bob Builder'], dirs.env);
  // alice already has a live code, so the picker has a TAC status to show.
  await runOk(['generate', '--user', 'alice', '--verified-by', 'callback'], dirs.env);
}, 30_000);
afterEach(() => tmux.kill());
afterAll(() => {
  tmux.kill();
  dirs?.cleanup();
});

const generatedEvents = async (): Promise<AuditEvent[]> => {
  const r = await runOk(['audit', '--json', '--action', 'tac.generated'], dirs.env);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as AuditEvent);
};

/** Reads the one-time display off the screen and checks its read-out line; returns code and TAC id. */
function readDisplay(screen: string): { code: string; tacId: string } {
  const m = GROUPED_CODE.exec(screen);
  expect(m, `no code in groups of four on the screen:\n${screen}`).not.toBeNull();
  const code = m![1]! + m![2]!;
  const after = linesAfter(screen, GROUPED_CODE);
  const expected = [...code.slice(0, 4)].map((c) => NATO[c]).join(' ') + ' · ' + [...code.slice(4)].map((c) => NATO[c]).join(' ');
  expect(after[0]!.trim()).toBe(expected);
  expect(screen).toMatch(/will not be shown again/);
  const id = /TAC id\s+(tac_\w+)/.exec(screen);
  expect(id, screen).not.toBeNull();
  return { code, tacId: id![1]! };
}

describe('tac generate on a terminal', { timeout: 60_000 }, () => {
  it('searches, picks the second match, asks for the attestation and shows the code once', async () => {
    tmux.start({ args: ['generate'], env: dirs.env });
    await tmux.waitFor(/\? Find the user/);
    tmux.type('ali');
    // Wait for the results of the whole term (an earlier keystroke's search may still be drawn).
    const matches = await tmux.waitFor((s) => /Find the user.* ali$/m.test(s) && s.includes('<alicia@example.com>') && s.includes('<alice@example.com>') && !s.includes('bob@'));

    // Each match: name, username, email, guest marker and the current TAC status.
    const aliceLine = matches.split('\n').find((l) => l.includes('<alice@example.com>'));
    const aliciaLine = matches.split('\n').find((l) => l.includes('<alicia@example.com>'));
    expect(aliceLine).toMatch(/Alice Liddell \(alice\) <alice@example\.com> — TAC active/);
    expect(aliceLine).not.toMatch(/\[guest\]/);
    expect(aliciaLine).toMatch(/Alicia Keys \(alicia\) <alicia@example\.com> \[guest\] — no TAC/);
    expect(matches).not.toMatch(/bob@example\.com/);

    // Matches are listed in order with the cursor on the first; Down moves to the second.
    const list = linesAfter(matches, /\? Find the user/).filter((l) => l.includes('@example.com>'));
    expect(list).toHaveLength(2);
    expect(list[0]).toMatch(/^❯/);
    const second = /\((\w+)\) </.exec(list[1]!)![1]!;
    tmux.sendKeys('Down');
    await tmux.waitFor(new RegExp(`❯ .*\\(${second}\\) <`));
    tmux.sendKeys('Enter');

    await tmux.waitFor(/\? How did you verify the caller's identity\?/);
    await tmux.waitFor(/❯ Security questions answered/);
    tmux.sendKeys('Down', 'Down', 'Down', 'Down');
    await tmux.waitFor(/❯ Photo ID checked/);
    tmux.sendKeys('Enter');

    await tmux.waitFor(/\? Note \(optional\)/);
    tmux.type('passport shown on video');
    await tmux.waitFor(/Note \(optional\) passport shown on video/);
    tmux.sendKeys('Enter');

    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(0);
    expect(screen).toMatch(new RegExp(`✔ Find the user.*\\(${second}\\) <`));
    expect(screen).toMatch(/✔ How did you verify the caller's identity\? Photo ID checked/);
    const shown = readDisplay(screen);
    expect(screen).toMatch(new RegExp(`For\\s+${second} `));

    // The attestation is in the audit event (never the code) ...
    const event = (await generatedEvents()).find((e) => e.tacId === shown.tacId);
    expect(event?.details).toMatchObject({ verifiedBy: 'id-document', verificationNote: 'passport shown on video' });
    const audit = await runOk(['audit', '--action', 'tac.generated'], dirs.env);
    expect(audit.stdout).toMatch(/id-document/);
    expect(audit.stdout).not.toContain(shown.code);

    // ... and the code read off the screen is the one issued.
    const v = await runTac(['verify', '--user', second, '--json'], dirs.env, { stdin: `${shown.code.slice(0, 4)} ${shown.code.slice(4)}\n` });
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, tac: { id: shown.tacId } });
  });

  it('asks for the attestation when --user is given without --verified-by', async () => {
    tmux.start({ args: ['generate', '--user', 'bob'], env: dirs.env });
    await tmux.waitFor(/\? How did you verify the caller's identity\?/);
    const screen = await tmux.waitFor(/Other \(add a note\)/);
    expect(screen).not.toMatch(/Find the user/);
    for (const label of ['Security questions answered', 'Called back on the number on file', 'Approved by their manager', 'In person', 'Photo ID checked']) {
      expect(screen).toContain(label);
    }
    tmux.sendKeys('Down');
    await tmux.waitFor(/❯ Called back on the number on file/);
    tmux.sendKeys('Enter');
    await tmux.waitFor(/\? Note \(optional\)/);
    tmux.sendKeys('Enter'); // the note is optional

    const done = await tmux.waitForExit();
    expect(done.code, done.screen).toBe(0);
    const shown = readDisplay(done.screen);
    const event = (await generatedEvents()).find((e) => e.tacId === shown.tacId);
    expect(event?.details.verifiedBy).toBe('callback');
    expect(event?.details.verificationNote ?? null).toBeNull();
  });

  it('Ctrl-C at the search prompt exits 130 at once, issuing and printing nothing', async () => {
    const before = await generatedEvents();
    const tacOf = async (user: string) => JSON.parse((await runOk(['users', 'show', user, '--json'], dirs.env)).stdout).currentTac?.id ?? null;
    const aliceTac = await tacOf('alice');
    tmux.start({ args: ['generate'], env: dirs.env });
    await tmux.waitFor(/\? Find the user/);
    tmux.type('alice');
    await tmux.waitFor(/alice@example\.com/);
    const pressed = Date.now();
    tmux.sendKeys('C-c');
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(130);
    expect(Date.now() - pressed).toBeLessThan(5_000);

    // After the prompt only its own list and key hint, then the shell's EXIT line: no error, no code.
    const rest = linesAfter(screen, /\? Find the user/).filter((l) => l.trim() && !l.includes('@example.com>') && !/navigate/.test(l));
    expect(rest).toEqual(['EXIT=130']);
    expect(screen).not.toMatch(/✔|error|will not be shown/);
    expect(await generatedEvents()).toHaveLength(before.length);
    expect(await tacOf('alice')).toBe(aliceTac);
  });
});
