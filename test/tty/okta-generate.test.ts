/**
 * `tac generate` and `tac login` on a terminal against Okta (the contract fake): the same picker,
 * attestation prompt and one-time display, the replace question for a user's live TAC, and the
 * API token typed at a masked prompt.
 */
import { describe, expect, it } from 'vitest';
import { startOktaFake } from '../fakes/okta.js';
import { pickAndAttest, useProviderTerminal } from './helpers/provider.js';
import { runTac } from './helpers/tmux.js';

const { tmux, fake, env } = useProviderTerminal(import.meta.url, 'okta', () => startOktaFake(), (f) => ({
  TAC_PROVIDER: 'okta', TAC_SERVER: f.url, TAC_API_TOKEN: f.apiToken,
}));

describe('tac on a terminal, on Okta', { timeout: 60_000 }, () => {
  it('searches Okta, picks, asks for the attestation and shows the TAC once with its id, expiry and one-time use', async () => {
    const matches = await pickAndAttest(tmux, env(), 'ali', 'alice@example.com');
    expect(matches).toMatch(/Alice Smith \(alice@example\.com\) <alice@example\.com> — no TAC/);
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/For\s+alice@example\.com Alice Smith <alice@example\.com>/);
    expect(screen).toMatch(/TAC id\s+00ualice000000000001:tac[0-9a-f]+/);
    expect(screen).toMatch(/Expires\s+\d{4}-\d\d-\d\dT[\d:.]+Z \(in 8h\)/); // the authenticator's defaultTtl
    expect(screen).toMatch(/Use\s+one-time/);
    expect(screen).toMatch(/will not be shown again/);
  });

  it('a user with a live TAC: asks before replacing it (No keeps it, exit 8)', async () => {
    const first = await runTac(['generate', '--user', 'bob', '--verified-by', 'callback', '--json'], env());
    expect(first.code, first.stderr).toBe(0);
    const old = JSON.parse(first.stdout) as { id: string };
    tmux.start({ args: ['generate', '--user', 'bob', '--verified-by', 'callback'], env: env() });
    await tmux.waitFor(/\? bob@example\.com has an active TAC until .*; replace it\? \(y\/N\)/);
    tmux.type('n');
    tmux.sendKeys('Enter');
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(8);
    const list = await runTac(['list', '--user', 'bob', '--json'], env());
    expect((JSON.parse(list.stdout) as { id: string }[]).map((t) => t.id)).toEqual([old.id]);
  });

  it('login asks for the API token at a masked prompt and never shows it', async () => {
    const token = fake().apiToken;
    const { TAC_API_TOKEN: _t, TAC_PROVIDER: _p, TAC_SERVER: _s, ...plain } = env();
    tmux.start({ args: ['login', '--provider', 'okta', '--server', fake().url], env: plain });
    await tmux.waitFor(/\? API token/);
    tmux.type(token);
    const typed = await tmux.waitFor(new RegExp(`API token \\*{${token.length}}$`, 'm'));
    expect(typed).not.toContain(token);
    tmux.sendKeys('Enter');
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(0);
    expect(screen).toContain(`Logged in to okta at ${fake().url} as admin@example.com`);
    expect(screen).not.toContain(token);
  });
});
