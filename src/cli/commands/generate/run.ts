import type { Backend } from '../../../backends/backend.js';
import { isTacError } from '../../../core/errors.js';
import { isLive } from '../../../core/status.js';
import { VERIFICATION_METHODS, type IdentityVerification, type IssueInput } from '../../../core/types.js';
import type { CommandContext } from '../../context.js';
import { canPrompt, confirmOrYes, flagOrPrompt, prompts } from '../../interactive.js';
import { oneTimeFlag, optDuration, optString, optTime } from '../../parse.js';
import { expiresText, printIssued } from '../../present.js';
import type { Handler } from '../../spec.js';

const METHOD_LABELS: Record<IdentityVerification, string> = {
  'security-questions': 'Security questions answered',
  callback: 'Called back on the number on file',
  'manager-approval': 'Approved by their manager',
  'in-person': 'In person',
  'id-document': 'Photo ID checked',
  other: 'Other (add a note)',
};

/** Search, then pick: each match shows name, username, email, guest flag and current TAC status. */
async function pickUser(ctx: CommandContext, backend: Backend): Promise<string> {
  const p = await prompts(ctx);
  return p.search<string>({
    message: 'Find the user (name, username, email or phone)',
    source: async (term) => {
      if (!term || term.trim().length < 1) return [];
      const users = await backend.searchUsers(term, { limit: 10 });
      const details = await Promise.all(users.map((u) => backend.showUser(u.id).catch(() => undefined)));
      return users.map((u, i) => {
        const tac = details[i]?.currentTac;
        const status = tac ? `TAC ${tac.status}` : 'no TAC';
        return {
          name: `${u.name ?? u.username} (${u.username}) <${u.email}>${u.guest ? ' [guest]' : ''}${u.disabled ? ' [disabled]' : ''} — ${status}`,
          value: u.id,
        };
      });
    },
  });
}

async function askAttestation(ctx: CommandContext): Promise<{ verifiedBy: IdentityVerification; verificationNote?: string }> {
  const p = await prompts(ctx);
  const verifiedBy = await p.select<IdentityVerification>({
    message: "How did you verify the caller's identity?",
    choices: VERIFICATION_METHODS.map((m) => ({ name: METHOD_LABELS[m], value: m })),
  });
  const note = await p.input({ message: verifiedBy === 'other' ? 'Describe the check' : 'Note (optional)', required: verifiedBy === 'other' });
  return { verifiedBy, verificationNote: note.trim() || undefined };
}

/**
 * Issuing revokes the user's live TAC ("replaced"), so a person is asked first (--yes skips).
 * Scripts are not: they replace as they always have, without a lookup or a word (the audit log
 * has the `tac.revoked` event with reason "replaced").
 */
async function confirmReplace(ctx: CommandContext, backend: Backend, user: string, yes: unknown): Promise<void> {
  if (yes || !canPrompt(ctx)) return;
  const { username, currentTac: t } = await backend.showUser(user);
  if (!t || !isLive(t.status)) return;
  const now = ctx.clock.now();
  const what = t.status === 'pending' ? `a pending TAC starting ${expiresText(t.startsAt, now)}` : `an active TAC until ${expiresText(t.expiresAt, now)}`;
  await confirmOrYes(ctx, false, `${username} has ${what}; replace it?`);
}

export const run: Handler = async (ctx, { opts }) => {
  const backend = await ctx.backend();
  const user = await flagOrPrompt(ctx, optString(opts, 'user'), '--user', () => pickUser(ctx, backend));
  await confirmReplace(ctx, backend, user, opts.yes);
  const input: IssueInput = {
    user,
    ttl: optDuration(opts, 'ttl', '--ttl'),
    startsAt: optTime(opts, 'startsAt', '--starts-at', ctx.clock.now())?.toISOString(),
    oneTime: oneTimeFlag(opts),
    reason: optString(opts, 'reason'),
    verifiedBy: optString(opts, 'verifiedBy') as IdentityVerification | undefined,
    verificationNote: optString(opts, 'verificationNote'),
  };
  let issued;
  try {
    issued = await backend.issueTac(input);
  } catch (e) {
    // The policy (local or on the server) requires an attestation: ask the agent, then issue.
    if (!(isTacError(e) && e.field === '--verified-by' && input.verifiedBy === undefined && canPrompt(ctx))) throw e;
    issued = await backend.issueTac({ ...input, ...(await askAttestation(ctx)) });
  }
  printIssued(ctx, issued, { spell: Boolean(opts.spell) });
};
