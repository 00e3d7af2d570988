import { expect, it } from 'vitest';
import { describeBackends, describeRun } from './helpers/tac.js';

const NATO_WORD = /^(Alfa|Bravo|Charlie|Delta|Echo|Foxtrot|Golf|Hotel|India|Juliett|Kilo|Lima|Mike|November|Oscar|Papa|Quebec|Romeo|Sierra|Tango|Uniform|Victor|Whiskey|X-ray|Yankee|Zulu|Zero|One|Two|Three|Four|Five|Six|Seven|Eight|Nine)$/;

describeBackends('attestation and read-out', (env) => {
  it('without a person at the terminal, --verified-by is required by the default policy (exit 2, nothing issued)', async () => {
    await env.addUser('att-a');
    for (const extraEnv of [{}, { CI: 'true' }]) {
      const r = await env.tac(['generate', '--user', 'att-a'], { env: extraEnv });
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stderr).toMatch(/^error: --verified-by: the policy requires stating how the caller's identity was verified: one of security-questions, callback, manager-approval, in-person, id-document, other\n$/);
      expect(r.stdout).toBe('');
    }
    expect(await env.listJson('--user', 'att-a')).toEqual([]);
  });

  it('the method and note are kept in the tac.generated audit event', async () => {
    await env.addUser('att-b');
    const t = await env.issue('att-b', '--verified-by', 'id-document', '--verification-note', 'passport on video call');
    const events = await env.auditJson('--action', 'tac.generated', '--user', 'att-b');
    expect(events[0]!.tacId).toBe(t.id);
    expect(events[0]!.details).toMatchObject({ verifiedBy: 'id-document', verificationNote: 'passport on video call' });
  });

  it('an unknown method is refused by commander with exit 2 naming the choices', async () => {
    await env.addUser('att-c');
    const r = await env.tac(['generate', '--user', 'att-c', '--verified-by', 'vibes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'--verified-by <method>' argument 'vibes' is invalid");
  });

  it('policy --no-require-attestation lets generate run without it; guests never need it', async () => {
    const s = await env.isolated();
    await s.addUser('att-d');
    await s.setPolicy('--no-require-attestation');
    expect((await s.adminJson<{ requireAttestation: boolean }>(['policy', 'show'])).requireAttestation).toBe(false);
    const r = await s.tac(['generate', '--user', 'att-d']);
    expect(r.code, describeRun(r)).toBe(0);
    await s.setPolicy('--require-attestation');
    const g = await s.tac(['guests', 'create', '--email', 'att-guest@example.com']);
    expect(g.code, describeRun(g)).toBe(0);
  });

  it('--spell adds the NATO read-out line to piped output', async () => {
    await env.addUser('att-e');
    const r = await env.tac(['generate', '--user', 'att-e', '--verified-by', 'callback', '--spell']);
    expect(r.code, describeRun(r)).toBe(0);
    const [code, spelled, rest] = r.stdout.split('\n');
    expect(rest).toBe('');
    const words = spelled!.split(' · ').flatMap((g) => g.split(' '));
    expect(words).toHaveLength(code!.length);
    for (const w of words) expect(w).toMatch(NATO_WORD);
  });
});
