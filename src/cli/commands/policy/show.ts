import { isFullPolicy } from '../../../backends/backend.js';
import { policyWeakness } from '../../../core/policy.js';
import type { Handler } from '../../spec.js';
import { printPolicy } from '../../present.js';

export const run: Handler = async (ctx) => {
  const policy = await (await ctx.backend()).getPolicy();
  // tac's own policy only: a provider applies its own rules to its settings.
  const weakness = isFullPolicy(policy) ? policyWeakness(policy) : undefined;
  if (weakness) ctx.warn(`this policy was saved before a rule it breaks, and would be refused now: ${weakness}`);
  printPolicy(ctx, policy);
};
