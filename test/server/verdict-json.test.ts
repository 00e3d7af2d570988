import fc from 'fast-check';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as S from '../../src/server/schemas.js';
import { verdictJson } from '../../src/server/verdict-json.js';
import { bearer, makeServer, type ServerHarness } from './helpers.js';

/**
 * The verify route writes its response by hand (src/server/verdict-json.ts). It must answer exactly
 * what the schema serializer (Fastify's, from the Verdict schema) answered: the same bytes for every
 * value it takes, and no value taken that the schema serializer refuses.
 */
let schemaSerialize: (v: unknown) => string;
beforeAll(async () => {
  // Fastify's own serializer for the route's 200 schema, as the route had it.
  const app = Fastify();
  app.get('/', { schema: { response: { 200: S.Verdict } } }, (_req, reply) => {
    schemaSerialize = reply.getSerializationFunction(200) as (v: unknown) => string;
    return { valid: false, reason: 'expired' };
  });
  await app.inject('/');
  await app.close();
});

/** What the schema serializer makes of `v`, or 'refused' when it throws. */
function bySchema(v: unknown): string {
  try {
    return schemaSerialize(v);
  } catch {
    return 'refused';
  }
}

/** The hand-written serializer's answer; where it declines, the route falls back to the schema's. */
const byHand = (v: unknown) => verdictJson(v as never) ?? bySchema(v);

const TIME = '2026-03-04T05:06:07.089Z';
const tac = {
  id: 'tac_1', userId: 'usr_1', status: 'active', createdAt: TIME, startsAt: TIME, expiresAt: '2026-03-04T13:06:07.089Z',
  oneTime: false, useCount: 3, lastUsedAt: TIME, revokedAt: null, revokedReason: null, reason: null, createdBy: 'agent:desk',
};
const user = { id: 'usr_1', username: 'ann', email: 'ann@example.com', name: 'Ann', guest: false };

describe('the verify response written by hand equals the schema serializer', () => {
  it('takes the verdicts the core makes, byte for byte', () => {
    const verdicts = [
      { valid: true, user, tac },
      { valid: true, user: { ...user, name: null, guest: true }, tac: { ...tac, oneTime: true, status: 'used', reason: 'lost phone' } },
      { valid: true, user, tac: { ...tac, lastUsedAt: null, revokedAt: TIME, revokedReason: 'replaced' } },
      ...S.VERIFY_REASONS.map((reason) => ({ valid: false, reason })),
      { valid: false, reason: 'locked_out', lockedUntil: '9999-12-31T23:59:59.999Z' },
      { valid: false, reason: 'locked_out', lockedUntil: '2024-02-29T00:00:00.000Z' },
    ];
    for (const v of verdicts) {
      const json = verdictJson(v as never);
      expect(json, JSON.stringify(v)).toBeDefined();
      expect(json).toBe(schemaSerialize(v));
    }
  });

  it('strings with quotes, backslashes, control characters, lone surrogates and any Unicode', () => {
    fc.assert(fc.property(
      fc.record({
        username: fc.string({ unit: 'binary', maxLength: 60 }), email: fc.string({ unit: 'grapheme', maxLength: 300 }),
        name: fc.option(fc.string({ unit: 'binary', maxLength: 5100 }), { nil: null }),
        reason: fc.option(fc.constantFrom('"', '\\', '\u0000', '\ud800', '\u2028', 'x'.repeat(45) + '"', 'é'), { nil: null }),
        createdBy: fc.string({ unit: 'binary-ascii' }), useCount: fc.integer(),
      }),
      ({ username, email, name, reason, createdBy, useCount }) => {
        const v = { valid: true, user: { ...user, username, email, name }, tac: { ...tac, reason, createdBy, useCount } };
        const json = verdictJson(v as never);
        expect(json).toBeDefined();
        expect(json).toBe(schemaSerialize(v));
      },
    ), { seed: 13, numRuns: 500 });
  });

  it('any other value: the same answer as the schema serializer (its refusals included)', () => {
    const anyValue = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.constant(TIME),
      fc.constantFrom('2026-02-30T00:00:00.000Z', '2023-02-29T00:00:00.000Z', '1900-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z',
        '2026-04-31T00:00:00.000Z', '2026-00-10T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2026-12-31T23:59:60.000Z', '2026-03-04T05:06:07Z', '2026-03-04T24:00:00.000Z', '+002026-03-04T05:06:07.089Z', '2026-03-04 05:06:07.089Z'),
      fc.constantFrom(...S.TAC_STATUS, ...S.REVOKE_REASONS, ...S.VERIFY_REASONS), fc.constant([]), fc.constant(new Date(TIME)), fc.constant({ toJSON: () => 'x' }));
    /** Starts from a good verdict and changes, removes or adds some of its fields (nested ones too). */
    const mutate = (base: Record<string, unknown>) => fc.record({
      changes: fc.array(fc.tuple(fc.constantFrom(...Object.keys(base), 'extra'), anyValue, fc.boolean()), { maxLength: 3 }),
    }).map(({ changes }) => {
      const out: Record<string, unknown> = { ...base };
      for (const [k, value, remove] of changes) {
        if (remove) delete out[k];
        else out[k] = value;
      }
      return out;
    });
    const verdicts = fc.oneof(
      fc.tuple(mutate(user), mutate(tac)).chain(([u, t]) => mutate({ valid: true, user: u, tac: t })),
      mutate({ valid: false, reason: 'locked_out', lockedUntil: TIME }),
      mutate({ valid: false, reason: 'invalid_code' }),
      anyValue,
    );
    fc.assert(fc.property(verdicts, (v) => {
      expect(byHand(v)).toBe(bySchema(v));
    }), { seed: 13, numRuns: 5000 });
  });
});

describe('the verify route answers with the hand-written JSON', () => {
  let h: ServerHarness;
  beforeAll(async () => {
    h = await makeServer();
  }, 60_000);
  afterAll(() => h.close());

  it('every verdict of a real verify: the schema serializer\'s bytes, as application/json', async () => {
    const [admin, desk, app] = [await h.tokenFor('admin'), await h.tokenFor('helpdesk'), await h.tokenFor('app')];
    const call = (token: string, url: string, payload: object) => h.app.inject({ method: 'POST', url, headers: bearer(token), payload });
    await call(admin, '/v1/users', { username: 'zoe', email: 'zoe@example.com', name: 'Zoë \\ "Z"' });
    const { code } = (await call(desk, '/v1/tacs', { user: 'zoe@example.com', verifiedBy: 'callback', reason: 'lost "phone"\n' })).json();
    const answers = [
      await call(app, '/v1/tacs/verify', { user: 'zoe@example.com', code }),
      await call(app, '/v1/tacs/verify', { user: 'zoe@example.com', code }),
      await call(app, '/v1/tacs/verify', { user: 'nobody', code }),
    ];
    for (let i = 0; i < 4; i++) answers.push(await call(app, '/v1/tacs/verify', { user: 'zoe@example.com', code: 'NOPE9999' }));
    expect(answers.map((r) => r.json().reason)).toEqual([undefined, 'already_used', 'unknown_user', 'invalid_code', 'invalid_code', 'invalid_code', 'locked_out']);
    for (const r of answers) {
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(verdictJson(r.json())).toBe(r.body);
      expect(r.body).toBe(schemaSerialize(r.json()));
    }
  });
});
