import { describe, expect, it } from 'vitest';
import { formatMinutes, formatRelative, formatSeconds, parseDays, parseDuration, parseSince, parseTime, parseTimeout, truncate } from '../../src/core/duration.js';
import { TacError } from '../../src/core/errors.js';
import { catchTacError } from './helpers.js';

describe('parseTimeout (tac serve timeouts)', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    [' 5S ', 5_000],
  ])('parses %j as %i ms', (input, ms) => {
    expect(parseTimeout('--request-timeout', input, 1_000, 3_600_000)).toBe(ms);
  });

  it.each(['30', '0s', '1h1s', '', '1.5s', '500ms', '2d', '-5s', '30s1m', '99999999999999999999s'])('refuses %j: a unit is required, within the range', (input) => {
    const err = catchTacError(() => parseTimeout('--request-timeout', input, 1_000, 3_600_000), 'invalid_value');
    expect(err.message).toMatch(/^--request-timeout: ".*" is not allowed; use a duration with a unit from 1s to 1h, e.g. 30s, 2m or 1m30s$/);
    expect(err.exitCode).toBe(2);
  });

  it('formats seconds the way it reads them', () => {
    expect([0, 5, 90, 3600, 3661].map(formatSeconds)).toEqual(['0s', '5s', '1m30s', '1h', '1h1m1s']);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90m', 90],
    ['8h', 480],
    ['2d', 2880],
    ['1h30m', 90],
    ['1d2h3m', 1440 + 120 + 3],
    ['45', 45],
    [' 8H ', 480],
    ['0m', 0],
  ])('parses %j as %i minutes', (input, minutes) => {
    expect(parseDuration('--ttl', input)).toBe(minutes);
  });


  it.each(['', 'abc', '1.5h', '-5', '5x', '30m1h', 'h', '1 h', '5mm', '+5m'])('refuses %j with the field name in the message', (input) => {
    const err = catchTacError(() => parseDuration('--ttl', input), 'invalid_value');
    expect(err.message).toContain('--ttl');
    expect(err.field).toBe('--ttl');
    expect(err.exitCode).toBe(2);
  });

  it('hints at plain minutes', () => {
    expect(() => parseDuration('--ttl', 'nope')).toThrow(/plain minutes/);
  });

  it('refuses numbers too large to be exact', () => {
    expect(() => parseDuration('--ttl', '99999999999999999999')).toThrow(TacError);
  });
});

describe('parseDays', () => {
  it('reads plain numbers and d as days, and durations that are whole days', () => {
    expect(parseDays('--purge-after', '3')).toBe(3);
    expect(parseDays('--purge-after', '30d')).toBe(30);
    expect(parseDays('--purge-after', '48h')).toBe(2);
    expect(parseDays('--purge-after', '0')).toBe(0);
  });

  it.each(['1.5', '90m', '36h', '1d1m', 'nope', ''])('refuses %j with a hint of whole days only', (input) => {
    const err = catchTacError(() => parseDays('--purge-after', input), 'invalid_value');
    expect(err.message).toBe(`--purge-after: "${input}" is not a whole number of days; use e.g. 30 or 30d`);
  });
});

describe('parseTime', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');

  it('parses ISO-8601', () => {
    expect(parseTime('--starts-at', '2026-05-01T09:00:00Z', now).toISOString()).toBe('2026-05-01T09:00:00.000Z');
    expect(parseTime('--starts-at', '2026-05-01T09:00Z', now).toISOString()).toBe('2026-05-01T09:00:00.000Z');
    expect(parseTime('--starts-at', '2026-05-01T11:00:00+02:00', now).toISOString()).toBe('2026-05-01T09:00:00.000Z');
  });

  it('parses times relative to now', () => {
    expect(parseTime('--starts-at', '+2h', now).toISOString()).toBe('2026-03-01T14:00:00.000Z');
    expect(parseTime('--starts-at', '+30m', now).toISOString()).toBe('2026-03-01T12:30:00.000Z');
    expect(parseTime('--starts-at', '+1d', now).toISOString()).toBe('2026-03-02T12:00:00.000Z');
  });

  it.each(['tomorrow', '', '2026-13-45T00:00:00Z', '+', '+abc', '12:00', 'now'])('refuses %j naming the field', (input) => {
    const err = catchTacError(() => parseTime('--starts-at', input, now), 'invalid_value');
    expect(err.message).toContain('--starts-at');
  });
});

describe('parseSince', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');
  it('reads a duration back from now, or a time', () => {
    expect(parseSince('--since', '24h', now).toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(parseSince('--since', '7d', now).toISOString()).toBe('2026-02-22T12:00:00.000Z');
    expect(parseSince('--since', '2026-01-01T00:00:00Z', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(() => parseSince('--since', 'yesterday', now)).toThrow(/--since/);
  });
});

describe('formatting', () => {
  it('formats minutes', () => {
    expect(formatMinutes(90)).toBe('1h30m');
    expect(formatMinutes(2880)).toBe('2d');
    expect(formatMinutes(45)).toBe('45m');
    expect(formatMinutes(0)).toBe('0m');
    expect(formatMinutes(1441)).toBe('1d1m');
  });

  it('formats relative times', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    expect(formatRelative(new Date('2026-01-01T01:05:00Z'), from)).toBe('in 1h 5m');
    expect(formatRelative(new Date('2025-12-31T23:57:00Z'), from)).toBe('3m ago');
    expect(formatRelative(new Date('2026-01-01T00:00:10Z'), from)).toBe('in less than a minute');
  });

  it('truncates quoted input to one short line', () => {
    expect(truncate('a\nb')).toBe('a b');
    expect(truncate('x'.repeat(50))).toBe(`${'x'.repeat(40)}…`);
  });
});
