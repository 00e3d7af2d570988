import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/core/agents.js';
import { makeServer, type ServerHarness } from './helpers.js';

let h: ServerHarness;
let doc: Record<string, any>;
beforeAll(async () => {
  h = await makeServer();
  const res = await h.app.inject({ url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
});
afterAll(() => h.close());

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator is not a rubber stamp: a broken copy fails.
    const broken = structuredClone(doc);
    broken.paths['/v1/tacs'].post.responses = 'none';
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('documents every route the server registered, with its security', () => {
    expect(h.routes.length).toBeGreaterThanOrEqual(31);
    for (const r of h.routes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      for (const method of [r.method].flat()) {
        const op = doc.paths[path]?.[String(method).toLowerCase()];
        expect(op, `${method} ${r.url}`).toBeDefined();
        const access = r.config?.access;
        const expected = access === 'public' ? [] : [{ oauth2: access === 'authenticated' ? [] : [access] }];
        expect(op.security, `${method} ${r.url}`).toEqual(expected);
        expect(op.summary).toBeTruthy();
      }
    }
    const documented = Object.values(doc.paths).reduce((n: number, p: any) => n + Object.keys(p).length, 0);
    expect(documented).toBe(h.routes.length);
  });

  it('declares the OAuth2 client credentials scheme with every scope', () => {
    const scheme = doc.components.securitySchemes.oauth2;
    expect(scheme.type).toBe('oauth2');
    expect(scheme.flows.clientCredentials.tokenUrl).toBe('/oauth/token');
    expect(Object.keys(scheme.flows.clientCredentials.scopes)).toEqual([...SCOPES]);
  });

  it('documents request and response schemas, problem details for errors and the ndjson export', () => {
    const issue = doc.paths['/v1/tacs'].post;
    expect(issue.requestBody.content['application/json'].schema.required).toEqual(['user']);
    expect(issue.responses['201'].content['application/json'].schema.required).toContain('code');
    expect(issue.responses['4XX'].content['application/problem+json'].schema.required).toEqual(['type', 'title', 'status', 'code', 'detail']);
    expect(doc.paths['/v1/tacs'].get.parameters.map((p: any) => p.name).sort()).toEqual(['limit', 'status', 'user']);
    expect(doc.paths['/v1/audit/export'].get.responses['200'].content).toHaveProperty('application/x-ndjson');
    expect(doc.paths['/oauth/token'].post.requestBody.content).toHaveProperty('application/x-www-form-urlencoded');
    // No response schema anywhere carries a hash.
    expect(JSON.stringify(doc)).not.toMatch(/codeHash|secretHash|token_hash/);
  });
});
