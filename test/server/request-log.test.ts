import { describe, expect, it } from 'vitest';
import { RequestLog } from '../../src/server/request-log.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('RequestLog', () => {
  it('unbuffered (the default): one write per line, at once', () => {
    const writes: string[] = [];
    const log = new RequestLog({ write: (s) => writes.push(s) });
    log.info('a', { n: 1 });
    log.warn('b');
    expect(writes).toHaveLength(2);
    expect(JSON.parse(writes[0]!)).toMatchObject({ level: 'info', msg: 'a', n: 1 });
  });

  it('buffered (tac serve): the lines of one turn in one write at its end; flush() writes at once', async () => {
    const writes: string[] = [];
    const log = new RequestLog({ write: (s) => writes.push(s) }, { buffered: true });
    log.info('a');
    log.error('b');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.trimEnd().split('\n').map((l) => JSON.parse(l).msg)).toEqual(['a', 'b']);

    log.info('c');
    log.flush();
    expect(writes).toHaveLength(2);
    await nextTurn();
    expect(writes).toHaveLength(2); // nothing left to write
  });

  it('buffered: writes before the end of the turn once 64 KiB are waiting', () => {
    const writes: string[] = [];
    const log = new RequestLog({ write: (s) => writes.push(s) }, { buffered: true });
    for (let i = 0; i < 1000; i++) log.info('x'.repeat(100));
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.join('').length).toBeGreaterThanOrEqual(64 * 1024);
  });

  it('a sink that throws does not throw to the caller', async () => {
    const log = new RequestLog({ write: () => { throw new Error('EPIPE'); } }, { buffered: true });
    log.info('a');
    await nextTurn();
    expect(() => log.flush()).not.toThrow();
  });
});
