import type { FastifyReply } from 'fastify';
import type { Clock } from '../core/clock.js';
import { FailureLimiter } from './failure-limiter.js';
import { rateLimited, sendProblem, toProblem } from './problem.js';

/**
 * A per-client request limit (the verify route's), checked by the auth hook (auth.ts) right after
 * it has admitted the request, so the key is the authenticated client and refused or anonymous
 * requests are never counted. Fixed windows from a client's first request, with the headers and
 * the 429 answer @fastify/rate-limit gave before (X-RateLimit-Limit/-Remaining/-Reset on every
 * answer, Retry-After on a 429).
 *
 * Why not @fastify/rate-limit here (it still caps the token endpoint): its hook is async (a
 * promise and several awaits per request) on the route every relying app calls on each sign-in;
 * this check is a Map lookup inside a hook that runs anyway. Measured: see the commit message.
 */
export class ClientLimit {
  private readonly counts: FailureLimiter;

  constructor(readonly max: number, windowMs: number, clock: Clock) {
    this.counts = new FailureLimiter({ max, windowMs }, clock);
  }

  /** Counts the request; false when it is over the limit (its 429 has then been sent). */
  admit(clientId: string, reply: FastifyReply): boolean {
    const { count, secondsLeft } = this.counts.hit(clientId);
    reply.header('x-ratelimit-limit', this.max).header('x-ratelimit-remaining', Math.max(0, this.max - count)).header('x-ratelimit-reset', secondsLeft);
    if (count <= this.max) return true;
    reply.header('retry-after', secondsLeft);
    sendProblem(reply, toProblem(rateLimited(secondsLeft)).problem);
    return false;
  }
}
