import type { JSONSchema } from 'json-schema-to-ts';
import { ROLES, SCOPES } from '../core/agents.js';
import { nullableTime, str, time } from './schema-parts.js';

/** Schemas of agents (API clients) and of the OAuth token endpoint; see schemas.ts for the rest. */

const ROLE_LIST = ['helpdesk', 'provisioner', 'admin', 'app'] as const satisfies typeof ROLES;
const SCOPE_LIST = [...SCOPES] as unknown as typeof SCOPES;

export const Agent = {
  type: 'object',
  additionalProperties: false,
  description: 'An API client. Its secret is never shown again after creation.',
  required: ['clientId', 'name', 'role', 'scopes', 'createdAt', 'createdBy', 'revokedAt', 'lastUsedAt'],
  properties: {
    clientId: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: ROLE_LIST },
    scopes: { type: 'array', items: { type: 'string', enum: SCOPE_LIST } },
    createdAt: time, createdBy: { type: 'string' }, revokedAt: nullableTime, lastUsedAt: nullableTime,
  },
} as const satisfies JSONSchema;

export const CreatedAgent = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'clientSecret', 'agent'],
  properties: { clientId: { type: 'string' }, clientSecret: { type: 'string', description: 'Shown once; stored only as a scrypt hash.' }, agent: Agent },
} as const satisfies JSONSchema;

export const Whoami = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'name', 'role', 'scopes', 'tokenExpiresAt'],
  properties: {
    clientId: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: ROLE_LIST },
    scopes: { type: 'array', items: { type: 'string', enum: SCOPE_LIST } }, tokenExpiresAt: time,
  },
} as const satisfies JSONSchema;

export const ClientIdParams = {
  type: 'object', additionalProperties: false, required: ['clientId'], properties: { clientId: str(100) },
} as const satisfies JSONSchema;

export const AgentRevokeResult = {
  type: 'object',
  additionalProperties: false,
  required: ['agent', 'changed'],
  properties: { agent: Agent, changed: { type: 'boolean' } },
} as const satisfies JSONSchema;

export const AgentListQuery = {
  type: 'object', additionalProperties: false, properties: { revoked: { type: 'boolean', description: 'Include revoked agents.' } },
} as const satisfies JSONSchema;

export const NewAgent = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'role'],
  properties: { name: str(64), role: { type: 'string', enum: ROLE_LIST } },
} as const satisfies JSONSchema;

export const TokenRequest = {
  type: 'object',
  description: 'application/x-www-form-urlencoded (RFC 6749 §4.4.2). Client credentials by HTTP Basic or client_id/client_secret.',
  properties: {
    grant_type: { type: 'string', description: 'Must be client_credentials.' },
    scope: { type: 'string', description: 'Space-delimited scopes to narrow the token to; all of the role\'s by default.' }, client_id: { type: 'string' },
    client_secret: { type: 'string' },
  },
} as const satisfies JSONSchema;

export const TokenResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: {
    access_token: { type: 'string' }, token_type: { type: 'string', const: 'Bearer' }, expires_in: { type: 'integer' }, scope: { type: 'string' },
  },
} as const satisfies JSONSchema;

export const OAuthError = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: { type: 'string', enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'server_error', 'temporarily_unavailable'] },
    error_description: { type: 'string' },
  },
} as const satisfies JSONSchema;
