/**
 * `tac generate` on a terminal against Microsoft Entra (the contract fake): the same picker,
 * attestation prompt and one-time display; a user's live pass is named and replaced only when told.
 */
import { describe, expect, it } from 'vitest';
import { startEntraFake } from '../fakes/entra.js';
import { pickAndAttest, useProviderTerminal } from './helpers/provider.js';
import { runTac } from './helpers/tmux.js';

const { tmux, env } = useProviderTerminal(import.meta.url, 'entra', () => startEntraFake(), (f) => ({
  TAC_PROVIDER: 'entra', TAC_SERVER: f.url, TAC_TOKEN_URL: f.tokenUrl, TAC_TENANT: f.tenant, TAC_CLIENT_ID: f.clientId, TAC_CLIENT_SECRET: f.clientSecret,
}));

describe('tac generate on a terminal, on Entra', { timeout: 60_000 }, () => {
  it('searches Entra, picks, asks for the attestation and shows the pass once with its expiry and one-time use', async () => {
    const matches = await pickAndAttest(tmux, env(), 'ali', 'alice@contoso.com');
    expect(matches).toMatch(/Alice Smith \(alice@contoso\.com\) <alice@contoso\.com> — no TAC/);
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/For\s+alice@contoso\.com Alice Smith <alice@contoso\.com>/);
    expect(screen).toMatch(/Expires\s+\d{4}-\d\d-\d\dT[\d:.]+Z \(in 1h\)/);
    expect(screen).toMatch(/Use\s+one-time/);
    expect(screen).toMatch(/will not be shown again/);
  });

  it('a user with a live pass: asks before replacing it (No keeps it, exit 8)', async () => {
    const first = await runTac(['generate', '--user', 'bob@contoso.com', '--verified-by', 'callback', '--json'], env());
    expect(first.code, first.stderr).toBe(0);
    const old = JSON.parse(first.stdout) as { id: string };
    tmux.start({ args: ['generate', '--user', 'bob@contoso.com', '--verified-by', 'callback'], env: env() });
    await tmux.waitFor(/\? bob@contoso\.com has an active TAC until .*; replace it\? \(y\/N\)/);
    tmux.type('n');
    tmux.sendKeys('Enter');
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(8);
    const list = await runTac(['list', '--user', 'bob@contoso.com', '--json'], env());
    expect((JSON.parse(list.stdout) as { id: string }[]).map((t) => t.id)).toEqual([old.id]);
  });
});
