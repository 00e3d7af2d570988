import { describe, expect, it } from 'vitest';
import { TacError } from '../../src/core/errors.js';
import { Availability, type AvailabilityChange } from '../../src/store/postgres/availability.js';
import { DB_UNAVAILABLE, failureReason, isConnectionFailure, pgError } from '../../src/store/postgres/errors.js';

/** An error as node-postgres or Node hands it over: a message and maybe a code. */
const err = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('PostgreSQL failures: the connection or the server, or the statement', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'],
    ['read ECONNRESET', 'ECONNRESET'],
    ['write EPIPE', 'EPIPE'],
    ['getaddrinfo ENOTFOUND db.internal', 'ENOTFOUND'],
    ['terminating connection due to administrator command', '57P01'],
    ['terminating connection due to crash of another server process', '57P02'],
    ['the database system is shutting down', '57P03'],
    ['the database system is starting up', '57P03'],
    ['sorry, too many clients already', '53300'],
    ['password authentication failed for user "tac"', '28P01'],
    ['connection failure', '08006'],
    ['SSL SYSCALL error', '08000'],
    ['server closed the connection unexpectedly', '08003'],
  ])('%s (%s) is a connection failure', (message, code) => {
    expect(isConnectionFailure(err(message, code))).toBe(true);
    const mapped = pgError(err(message, code));
    expect(mapped).toBeInstanceOf(TacError);
    expect(mapped).toMatchObject({ code: 'unavailable', message: DB_UNAVAILABLE, exitCode: 7, httpStatus: 503 });
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'timeout expired',
    'Query read timeout',
    'Client has encountered a connection error and is not queryable',
  ])('the driver\'s own "%s" (no code) is a connection failure', (message) => {
    expect(pgError(err(message))).toMatchObject({ code: 'unavailable' });
  });

  it('every address of a host refusing (an AggregateError) is a connection failure; one refusal among other errors is not', () => {
    const refused = err('connect ECONNREFUSED', 'ECONNREFUSED');
    expect(isConnectionFailure(Object.assign(new AggregateError([refused, refused]), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionFailure(new AggregateError([refused, refused]))).toBe(true);
    expect(isConnectionFailure(new AggregateError([refused, err('boom')]))).toBe(false);
  });

  it.each([
    ['syntax error at or near "SELEC"', '42601'],
    ['relation "users" does not exist', '42P01'],
    ['deadlock detected', '40P01'],
    ['could not serialize access', '40001'],
    ['value too long', '22001'],
    ['canceling statement due to statement timeout', '57014'],
    ['Cannot use a pool after calling end on the pool', undefined],
    ['some bug', undefined],
  ])('%s (%s) is not: it stays as it is', (message, code) => {
    const e = err(message, code);
    expect(isConnectionFailure(e)).toBe(false);
    expect(pgError(e)).toBe(e);
  });

  it('a unique violation is a conflict naming the index without its table prefix', () => {
    const e = Object.assign(err('duplicate key value violates unique constraint "users_email"', '23505'), { constraint: 'users_email' });
    expect(pgError(e)).toMatchObject({ code: 'conflict', message: 'email: already used (a concurrent change took it first)' });
  });

  it('a TacError passes through; an unavailable one counts as a connection failure, others do not', () => {
    const unavailable = new TacError('unavailable', DB_UNAVAILABLE);
    const conflict = new TacError('conflict', 'x');
    expect(pgError(unavailable)).toBe(unavailable);
    expect(isConnectionFailure(unavailable)).toBe(true);
    expect(isConnectionFailure(conflict)).toBe(false);
    expect(isConnectionFailure(undefined)).toBe(false);
    expect(isConnectionFailure('ECONNREFUSED')).toBe(false);
  });

  it('the reason for the log is the driver\'s first line with its code, also through a TacError', () => {
    expect(failureReason(err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(failureReason(err('the database system is shutting down', '57P03'))).toBe('the database system is shutting down (57P03)');
    expect(failureReason(new TacError('unavailable', DB_UNAVAILABLE, { cause: err('Connection terminated unexpectedly') }))).toBe('Connection terminated unexpectedly');
  });
});

describe('Availability', () => {
  it('tells each transition once: down with the first failure\'s reason, up with the next success', () => {
    const a = new Availability();
    const seen: AvailabilityChange[] = [];
    a.onChange((c) => seen.push(c));
    a.succeeded();
    a.failed(err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'));
    a.failed(err('the database system is starting up', '57P03'));
    a.succeeded();
    a.succeeded();
    a.failed(err('Connection terminated unexpectedly'));
    expect(seen).toEqual([
      { available: false, reason: 'connect ECONNREFUSED 127.0.0.1:5432' },
      { available: true },
      { available: false, reason: 'Connection terminated unexpectedly' },
    ]);
  });

  it('a listener that throws changes nothing for the query', () => {
    const a = new Availability();
    a.onChange(() => {
      throw new Error('stderr closed');
    });
    expect(() => a.failed(err('x', 'ECONNRESET'))).not.toThrow();
  });
});
