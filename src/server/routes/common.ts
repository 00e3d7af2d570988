import { security, type RouteAccess } from '../auth.js';
import { Problem } from '../schemas.js';

/** Every error a route can answer, documented once: RFC 9457 problem details. */
export const problems = {
  '4xx': { description: 'Client error (problem details with a stable `code`).', content: { 'application/problem+json': { schema: Problem } } },
  '5xx': { description: 'Server error (problem details; never a stack trace).', content: { 'application/problem+json': { schema: Problem } } },
} as const;

/** Route metadata from one access value: the hook enforces `config.access`, the document shows `security`. */
export function doc<A extends RouteAccess>(access: A, tag: string, summary: string, description?: string) {
  return {
    config: { access },
    schema: { tags: [tag], summary, ...(description ? { description } : {}), security: security(access) },
  };
}

export const arrayOf = <T extends object>(items: T) => ({ type: 'array', items }) as const;
