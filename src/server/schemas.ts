import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { AUDIT_ACTIONS, TAC_STATUSES, VERIFICATION_METHODS } from '../core/types.js';
import { MAX_IMPORT_ROWS, MAX_LIST_LIMIT, MAX_AUDIT_LIMIT } from './limits.js';
import { nullableStr, nullableTime, str, time } from './schema-parts.js';

// Agents and OAuth live in their own file; routes see one module.
export * from './schemas-agents.js';

/**
 * One JSON Schema per shape. Each drives request validation (Ajv), response serialization
 * (fast-json-stringify: fields not listed here are never sent, so no hash can leak), the handler
 * types (json-schema-to-ts) and the OpenAPI document (@fastify/swagger).
 *
 * Bounds here are only about shape and size; the core still applies every business rule and
 * gives the same messages as the CLI does locally.
 */


// Literal tuples, checked against the core's lists so that a new status or action is not forgotten.
export const TAC_STATUS = ['pending', 'active', 'expired', 'used', 'revoked'] as const satisfies typeof TAC_STATUSES;
export const VERIFY_REASONS = [
  'unknown_user', 'user_disabled', 'locked_out', 'tacs_disabled', 'invalid_code', 'not_yet_valid', 'expired', 'already_used', 'revoked',
] as const;
export const REVOKE_REASONS = ['replaced', 'deleted', 'user_disabled', 'user_deleted'] as const;
const ACTIONS = [
  'user.created', 'user.disabled', 'user.enabled', 'user.deleted', 'user.unlocked', 'user.locked_out',
  'tac.generated', 'tac.revoked', 'tac.verified', 'tac.verify_failed', 'tac.purged', 'policy.updated',
  'guest.created', 'agent.created', 'agent.revoked',
] as const satisfies typeof AUDIT_ACTIONS;
const METHODS = ['security-questions', 'callback', 'manager-approval', 'in-person', 'id-document', 'other'] as const satisfies typeof VERIFICATION_METHODS;

// ---- shared resources --------------------------------------------------------------------------

export const User = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'username', 'email', 'phone', 'name', 'guest', 'disabled', 'failedAttempts', 'consecutiveFailures', 'lockedUntil', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, phone: nullableStr, name: nullableStr,
    guest: { type: 'boolean' }, disabled: { type: 'boolean' }, failedAttempts: { type: 'integer' }, consecutiveFailures: { type: 'integer' },
    lockedUntil: { ...nullableTime, description: '9999-12-31T23:59:59.999Z: until an agent unlocks the user.' },
    createdAt: time, updatedAt: time,
  },
} as const satisfies JSONSchema;

export const UserSummary = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'username', 'email', 'name', 'guest'],
  properties: { id: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, name: nullableStr, guest: { type: 'boolean' } },
} as const satisfies JSONSchema;

export const Tac = {
  type: 'object',
  additionalProperties: false,
  description: 'A TAC as anyone may see it: never its code or hash.',
  required: ['id', 'userId', 'status', 'createdAt', 'startsAt', 'expiresAt', 'oneTime', 'useCount', 'lastUsedAt', 'revokedAt', 'revokedReason', 'reason', 'createdBy'],
  properties: {
    id: { type: 'string' }, userId: { type: 'string' }, status: { type: 'string', enum: TAC_STATUS },
    createdAt: time, startsAt: time, expiresAt: time, oneTime: { type: 'boolean' }, useCount: { type: 'integer' },
    lastUsedAt: nullableTime, revokedAt: nullableTime,
    revokedReason: { type: ['string', 'null'], enum: [...REVOKE_REASONS, null] },
    reason: nullableStr, createdBy: { type: 'string' },
  },
} as const satisfies JSONSchema;

/** A TAC in a listing, with who it belongs to (null only if the user vanished mid-read). */
export const ListedTac = {
  type: 'object',
  additionalProperties: false,
  required: [...Tac.required, 'user'],
  properties: { ...Tac.properties, user: { anyOf: [UserSummary, { type: 'null' }] } },
} as const satisfies JSONSchema;

export const UserDetails = {
  type: 'object',
  additionalProperties: false,
  required: [...User.required, 'locked', 'currentTac'],
  properties: {
    ...User.properties,
    locked: { type: 'boolean' },
    currentTac: { anyOf: [Tac, { type: 'null' }] },
  },
} as const satisfies JSONSchema;

export const IssuedTac = {
  type: 'object',
  additionalProperties: false,
  description: 'The only shape that carries a code: returned once, when it is issued.',
  required: ['id', 'code', 'status', 'startsAt', 'expiresAt', 'oneTime', 'user'],
  properties: {
    id: { type: 'string' }, code: { type: 'string' }, status: { type: 'string', enum: TAC_STATUS },
    startsAt: time, expiresAt: time, oneTime: { type: 'boolean' }, user: UserSummary,
  },
} as const satisfies JSONSchema;

export const Verdict = {
  description: 'The same verdict as `tac verify --json`.',
  oneOf: [
    {
      type: 'object', additionalProperties: false, required: ['valid', 'user', 'tac'],
      properties: { valid: { type: 'boolean', const: true }, user: UserSummary, tac: Tac },
    },
    {
      type: 'object', additionalProperties: false, required: ['valid', 'reason'],
      properties: { valid: { type: 'boolean', const: false }, reason: { type: 'string', enum: VERIFY_REASONS }, lockedUntil: time },
    },
  ],
} as const satisfies JSONSchema;

const complexityProps = { numbers: { type: 'boolean' }, letters: { type: 'boolean' }, specialCharacters: { type: 'boolean' } } as const;
const policyProps = {
  enabled: { type: 'boolean' }, minTtl: { type: 'integer' }, maxTtl: { type: 'integer' }, defaultTtl: { type: 'integer' },
  length: { type: 'integer' }, mixedCase: { type: 'boolean' }, excludeAmbiguous: { type: 'boolean' },
  multiUseAllowed: { type: 'boolean' }, oneTimeDefault: { type: 'boolean' }, maxFailedAttempts: { type: 'integer' },
  lockoutDuration: { type: 'integer' }, maxConsecutiveFailures: { type: 'integer', description: 'Failures before a lock only an agent lifts.' },
  purgeAfterDays: { type: 'integer' }, phoneRegion: { type: ['string', 'null'], description: 'Region for phone numbers without a country code.' },
  requireAttestation: { type: 'boolean', description: 'Issuing requires verifiedBy (how the caller was identified).' },
} as const;
const policyKeys = [
  'enabled', 'minTtl', 'maxTtl', 'defaultTtl', 'length', 'complexity', 'mixedCase', 'excludeAmbiguous', 'multiUseAllowed',
  'oneTimeDefault', 'maxFailedAttempts', 'lockoutDuration', 'maxConsecutiveFailures', 'purgeAfterDays', 'phoneRegion',
] as const;

export const Policy = {
  type: 'object',
  // The core owns the policy's fields: one it adds later must reach clients, not be dropped here.
  additionalProperties: true,
  description: 'TTLs and lockout in minutes.',
  required: policyKeys,
  // In the core's order: responses are serialized in schema order, and `tac policy show --json`
  // prints the same fields in the same order whether it runs locally or against a server.
  properties: {
    enabled: policyProps.enabled, minTtl: policyProps.minTtl, maxTtl: policyProps.maxTtl, defaultTtl: policyProps.defaultTtl, length: policyProps.length,
    complexity: { type: 'object', additionalProperties: false, required: ['numbers', 'letters', 'specialCharacters'], properties: complexityProps },
    mixedCase: policyProps.mixedCase, excludeAmbiguous: policyProps.excludeAmbiguous, multiUseAllowed: policyProps.multiUseAllowed,
    oneTimeDefault: policyProps.oneTimeDefault, maxFailedAttempts: policyProps.maxFailedAttempts, lockoutDuration: policyProps.lockoutDuration,
    maxConsecutiveFailures: policyProps.maxConsecutiveFailures, purgeAfterDays: policyProps.purgeAfterDays,
    phoneRegion: policyProps.phoneRegion, requireAttestation: policyProps.requireAttestation,
  },
} as const satisfies JSONSchema;

/** PUT takes a whole policy; PATCH any subset. Types are also checked by the core, with its messages. */
export const PolicyPatch = {
  type: 'object',
  additionalProperties: false,
  properties: { ...policyProps, complexity: { type: 'object', additionalProperties: false, properties: complexityProps } },
} as const satisfies JSONSchema;

export const AuditEvent = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'at', 'actor', 'action', 'userId', 'tacId', 'outcome', 'reason', 'details'],
  properties: {
    id: { type: 'integer' }, at: time, actor: { type: 'string' }, action: { type: 'string', enum: ACTIONS },
    userId: nullableStr, tacId: nullableStr, outcome: { type: 'string', enum: ['success', 'failure'] }, reason: nullableStr,
    details: { type: 'object', additionalProperties: true },
  },
} as const satisfies JSONSchema;

export const PurgeResult = {
  type: 'object',
  additionalProperties: false,
  required: ['purged', 'dryRun', 'tacIds'],
  properties: { purged: { type: 'integer' }, dryRun: { type: 'boolean' }, tacIds: { type: 'array', items: { type: 'string' } } },
} as const satisfies JSONSchema;

/** RFC 9457 problem details, plus the stable `code` the CLI maps back to its exit code. */
export const Problem = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'title', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' },
    field: { type: 'string' }, details: { type: 'object', additionalProperties: true }, requestId: { type: 'string' },
  },
} as const satisfies JSONSchema;

// ---- requests ----------------------------------------------------------------------------------

const userRef = { ...str(1000), description: 'An id, username, email or phone number.' } as const;
/** Bounds and allowed values of list filters are checked by the core, so messages match the CLI's. */
const limit = (max: number) => ({ type: 'integer', description: `1 to ${max}.` }) as const;

export const RefParams = {
  type: 'object', additionalProperties: false, required: ['ref'], properties: { ref: userRef },
} as const satisfies JSONSchema;

export const IdParams = {
  type: 'object', additionalProperties: false, required: ['id'], properties: { id: str(100) },
} as const satisfies JSONSchema;

export const NewUser = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: {
    username: str(100), email: str(320), phone: { type: ['string', 'null'], maxLength: 200 }, name: { type: ['string', 'null'], maxLength: 400 },
    guest: { type: 'boolean' },
  },
} as const satisfies JSONSchema;

const tacOptions = {
  ttl: { type: 'integer', description: 'Minutes.' }, startsAt: { ...str(64), description: 'ISO-8601 time.' }, oneTime: { type: 'boolean' },
} as const;

export const IssueRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['user'],
  properties: {
    user: userRef, ...tacOptions, reason: str(1000), verifiedBy: { type: 'string', description: `One of ${METHODS.join(', ')}.` },
    verificationNote: str(1000),
  },
} as const satisfies JSONSchema;

export const VerifyRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['user', 'code'],
  properties: { user: userRef, code: str(1000) },
} as const satisfies JSONSchema;

export const GuestRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: {
    email: str(320), name: { type: ['string', 'null'], maxLength: 400 }, username: str(100),
    phone: { type: ['string', 'null'], maxLength: 200 }, ...tacOptions,
  },
} as const satisfies JSONSchema;

const importRows = <T extends JSONSchema>(input: T) => ({
  type: 'array',
  maxItems: MAX_IMPORT_ROWS,
  items: {
    type: 'object', additionalProperties: false, required: ['line', 'input'],
    properties: { line: { type: 'integer', minimum: 0 }, input },
  },
}) as const;

export const GuestImportRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['rows', 'onExisting'],
  properties: { rows: importRows(GuestRequest), onExisting: { type: 'string', enum: ['fail', 'skip', 'reissue'] } },
} as const satisfies JSONSchema;

export const UserImportRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['rows', 'onExisting'],
  properties: { rows: importRows(NewUser), onExisting: { type: 'string', enum: ['fail', 'skip'] } },
} as const satisfies JSONSchema;

export const ExistingEmailsRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['emails'],
  properties: { emails: { type: 'array', maxItems: MAX_IMPORT_ROWS, items: str(1000) } },
} as const satisfies JSONSchema;

export const ExistingEmail = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'guest', 'username'],
  properties: { email: { type: 'string' }, guest: { type: 'boolean' }, username: { type: 'string' } },
} as const satisfies JSONSchema;

export const GuestImportResult = {
  oneOf: [
    {
      type: 'object', additionalProperties: false, required: ['line', 'status', 'tac'],
      properties: { line: { type: 'integer' }, status: { type: 'string', enum: ['created', 'reissued'] }, tac: IssuedTac },
    },
    {
      type: 'object', additionalProperties: false, required: ['line', 'status', 'email'],
      properties: { line: { type: 'integer' }, status: { type: 'string', const: 'skipped' }, email: { type: 'string' } },
    },
  ],
} as const satisfies JSONSchema;

export const UserImportResult = {
  oneOf: [
    {
      type: 'object', additionalProperties: false, required: ['line', 'status', 'user'],
      properties: { line: { type: 'integer' }, status: { type: 'string', const: 'created' }, user: User },
    },
    {
      type: 'object', additionalProperties: false, required: ['line', 'status', 'email'],
      properties: { line: { type: 'integer' }, status: { type: 'string', const: 'skipped' }, email: { type: 'string' } },
    },
  ],
} as const satisfies JSONSchema;

export const RevokeResult = {
  type: 'object',
  additionalProperties: false,
  required: ['tac', 'changed'],
  properties: { tac: Tac, changed: { type: 'boolean', description: 'False when the TAC was no longer live.' } },
} as const satisfies JSONSchema;

export const SearchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { q: str(1000), guests: { type: 'boolean', description: 'Guests only.' }, limit: limit(MAX_LIST_LIMIT) },
} as const satisfies JSONSchema;

export const TacListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { user: userRef, status: { type: 'string', description: `One of ${[...TAC_STATUS, 'all'].join(', ')}.` }, limit: limit(MAX_LIST_LIMIT) },
} as const satisfies JSONSchema;

export const AuditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    user: { ...userRef, description: 'A user reference, or the id of a deleted user.' }, action: { type: 'string', description: `One of ${ACTIONS.join(', ')}.` },
    since: { ...str(64), description: 'ISO-8601 time.' }, limit: limit(MAX_AUDIT_LIMIT),
  },
} as const satisfies JSONSchema;

export const PurgeRequest = {
  type: 'object', additionalProperties: false, properties: { dryRun: { type: 'boolean' } },
} as const satisfies JSONSchema;

export const Health = {
  type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', const: 'ok' } },
} as const satisfies JSONSchema;

export const Ready = {
  type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', const: 'ready' } },
} as const satisfies JSONSchema;

export type NewUserBody = FromSchema<typeof NewUser>;
export type GuestBody = FromSchema<typeof GuestRequest>;
