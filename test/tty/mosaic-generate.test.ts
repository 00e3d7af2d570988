/**
 * `tac generate` on a terminal against Transmit Mosaic (the contract fake): the same picker,
 * attestation prompt and one-time display, with what Mosaic does not say shown as such.
 */
import { describe, expect, it } from 'vitest';
import { startMosaicFake } from '../fakes/mosaic.js';
import { pickAndAttest, useProviderTerminal } from './helpers/provider.js';
import { runTac } from './helpers/tmux.js';

const { tmux, fake, env } = useProviderTerminal(import.meta.url, 'mosaic', () => startMosaicFake(), (f) => ({
  TAC_PROVIDER: 'mosaic', TAC_SERVER: f.url, TAC_CLIENT_ID: f.clientId, TAC_CLIENT_SECRET: f.clientSecret,
}));

describe('tac generate on a terminal, on Mosaic', { timeout: 60_000 }, () => {
  it('searches Mosaic, picks, asks for the attestation and shows the code once, expiry and use "set by the provider"', async () => {
    const matches = await pickAndAttest(tmux, env(), 'ali', 'alice@example.com');
    expect(matches).toMatch(/Alice Smith \(alice\) <alice@example\.com> — no TAC/);
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(0);
    const m = /^\s+(\d{4}) (\d{2})\s*$/m.exec(screen);
    expect(m, screen).not.toBeNull();
    expect(screen).toMatch(/For\s+alice Alice Smith <alice@example\.com>/);
    expect(screen).toMatch(/Expires\s+set by the provider/);
    expect(screen).toMatch(/Use\s+set by the provider/);
    expect(screen).not.toMatch(/TAC id/);
    expect(screen).toMatch(/will not be shown again/);
    const v = await runTac(['verify', '--user', 'alice', '--json'], env(), { stdin: `${m![1]}${m![2]}\n` });
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, user: { id: 'x7k2mq9alice' }, tac: null });
  });

  it('with --ttl the expiry is shown', async () => {
    tmux.start({ args: ['generate', '--user', 'bob', '--verified-by', 'callback', '--ttl', '15m'], env: env() });
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/Expires\s+\d{4}-\d\d-\d\dT[\d:.]+Z \(in 15m\)/);
  });

  it('says so on the terminal while it waits out a rate limit, then shows the code', async () => {
    await fake().fail(429, { path: '/cis/v1/auth/otp/send', retryAfter: 1 });
    tmux.start({ args: ['generate', '--user', 'bob', '--verified-by', 'callback'], env: env() });
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(0);
    expect(screen).toContain('mosaic is limiting requests; trying again in 1 s…');
    expect(screen).toMatch(/will not be shown again/);
  });
});
