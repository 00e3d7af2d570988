import { invalid } from '../errors.js';
import { checkPatchShape, DEFAULT_POLICY, mergePolicy, validatePolicy, type Policy } from '../policy.js';
import { appendAudit, ServiceCore } from './core.js';

/** Changing the policy (reading it is ServiceCore.getPolicy: every part needs it). */
export class PolicyPart extends ServiceCore {
  updatePolicy(patchInput: unknown): Policy {
    const patch = checkPatchShape(patchInput);
    return this.store.transaction(() => savePolicy(this, mergePolicy(this.getPolicy(), patch)));
  }

  /** Replaces the whole policy: every field must be present. */
  replacePolicy(input: unknown): Policy {
    const patch = checkPatchShape(input);
    const missing = Object.keys(DEFAULT_POLICY).filter((k) => !(k in patch));
    const missingComplexity = Object.keys(DEFAULT_POLICY.complexity).filter((k) => !(k in (patch.complexity ?? {})));
    if (missing.length) throw invalid(missing[0]!, 'is required when replacing the whole policy');
    if (missingComplexity.length) throw invalid(`complexity.${missingComplexity[0]}`, 'is required when replacing the whole policy');
    return this.store.transaction(() => savePolicy(this, mergePolicy(DEFAULT_POLICY, patch)));
  }

  resetPolicy(): Policy {
    return this.store.transaction(() => savePolicy(this, { ...DEFAULT_POLICY, complexity: { ...DEFAULT_POLICY.complexity } }));
  }
}

function savePolicy(s: ServiceCore, next: Policy): Policy {
  validatePolicy(next);
  const before = s.getPolicy();
  s.store.savePolicy(next);
  appendAudit(s, { action: 'policy.updated', details: { changes: policyDiff(before, next) } });
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
