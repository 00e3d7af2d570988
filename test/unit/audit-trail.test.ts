import { appendFileSync, chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditTrail, type AuditRow } from '../../src/backends/audit-trail.js';

/** tac's own trail on a provider: private file, newest first, filters, a torn line skipped. */

const dir = mkdtempSync(join(tmpdir(), 'tac-trail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (at: string, action: AuditRow['action'], user: string): AuditRow => ({
  at, actor: 'desk', provider: 'mosaic', server: 'https://api.transmitsecurity.io', action, outcome: 'success', user, tacId: null, verifiedBy: 'callback', reason: null, details: {},
});

describe('AuditTrail', () => {
  it('appends JSON Lines in a 0600 file (made private again if it was not) and reads them back as AuditEvents, newest first', () => {
    const trail = new AuditTrail(join(dir, 'sub', 'audit-default.jsonl'));
    expect(trail.query({})).toEqual([]);
    trail.append(row('2026-01-01T00:00:00.000Z', 'tac.generated', 'u1'));
    chmodSync(trail.path, 0o644);
    trail.append(row('2026-01-02T00:00:00.000Z', 'tac.verified', 'u1'));
    trail.append(row('2026-01-03T00:00:00.000Z', 'tac.generated', 'u2'));
    expect(statSync(trail.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
    const all = trail.query({});
    expect(all.map((e) => e.id)).toEqual([3, 2, 1]);
    expect(all[2]).toEqual({
      id: 1, at: '2026-01-01T00:00:00.000Z', actor: 'desk', action: 'tac.generated', userId: 'u1', tacId: null, outcome: 'success', reason: null,
      details: { provider: 'mosaic', server: 'https://api.transmitsecurity.io', verifiedBy: 'callback' },
    });
    expect(trail.query({ user: 'u1' }).map((e) => e.id)).toEqual([2, 1]);
    expect(trail.query({ action: 'tac.generated', limit: 1 }).map((e) => e.id)).toEqual([3]);
    expect(trail.query({ since: '2026-01-02T00:00:00Z' }).map((e) => e.id)).toEqual([3, 2]);
    expect(() => trail.query({ action: 'tac.stolen' })).toThrow('--action: must be one of');
    expect(() => trail.query({ since: 'yesterday-ish' })).toThrow('--since: is not a valid time');
  });

  it('skips a torn last line (a crash mid-append) instead of failing every query', () => {
    const trail = new AuditTrail(join(dir, 'torn.jsonl'));
    trail.append(row('2026-01-01T00:00:00.000Z', 'tac.generated', 'u1'));
    appendFileSync(trail.path, '{"at":"2026-01-0');
    expect(trail.query({}).map((e) => e.userId)).toEqual(['u1']);
    trail.append(row('2026-01-02T00:00:00.000Z', 'tac.generated', 'u2'));
    expect(trail.query({}).map((e) => e.userId)).toEqual(['u2', 'u1']);
  });
});
