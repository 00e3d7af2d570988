import { invalid } from '../errors.js';
import { checkPatchShape, DEFAULT_POLICY, mergePolicy, validatePolicy, type Policy } from '../policy.js';
import { q, type Flow } from '../flow.js';
import { appendAudit, ServiceCore } from './core.js';

/** Changing the policy (reading it is ServiceCore.getPolicy: every part needs it). */
export class PolicyPart extends ServiceCore {
  *updatePolicy(patchInput: unknown): Flow<Policy> {
    const patch = checkPatchShape(patchInput);
    return yield* this.transaction(() => savePolicy(this, (before) => mergePolicy(before, patch)));
  }

  /** Replaces the whole policy: every field must be present. */
  *replacePolicy(input: unknown): Flow<Policy> {
    const patch = checkPatchShape(input);
    const missing = Object.keys(DEFAULT_POLICY).filter((k) => !(k in patch));
    const missingComplexity = Object.keys(DEFAULT_POLICY.complexity).filter((k) => !(k in (patch.complexity ?? {})));
    if (missing.length) throw invalid(missing[0]!, 'is required when replacing the whole policy');
    if (missingComplexity.length) throw invalid(`complexity.${missingComplexity[0]}`, 'is required when replacing the whole policy');
    return yield* this.transaction(() => savePolicy(this, () => mergePolicy(DEFAULT_POLICY, patch)));
  }

  *resetPolicy(): Flow<Policy> {
    return yield* this.transaction(() => savePolicy(this, () => ({ ...DEFAULT_POLICY, complexity: { ...DEFAULT_POLICY.complexity } })));
  }
}

/** Saves the policy `change` makes of the current one; read for update, so concurrent changes apply one after the other. */
function* savePolicy(s: ServiceCore, change: (before: Policy) => Policy): Flow<Policy> {
  const before = yield* s.getPolicy({ forUpdate: true });
  const next = change(before);
  validatePolicy(next);
  yield* q(s.store.savePolicy(next));
  yield* appendAudit(s, { action: 'policy.updated', details: { changes: policyDiff(before, next) } });
  return next;
}

function policyDiff(a: Policy, b: Policy): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  const flat = (p: Policy) => ({ ...p, ...Object.fromEntries(Object.entries(p.complexity).map(([k, v]) => [`complexity.${k}`, v])), complexity: undefined });
  const fa = flat(a) as Record<string, unknown>;
  const fb = flat(b) as Record<string, unknown>;
  for (const k of Object.keys(fb)) if (k !== 'complexity' && fa[k] !== fb[k]) out[k] = { from: fa[k], to: fb[k] };
  return out;
}
