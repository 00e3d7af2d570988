import { POLICY_RANGES as R, rangeText } from '../../../core/policy.js';
import type { CommandSpec, OptionSpec } from '../../spec.js';

/**
 * `--x` / `--no-x` pairs: setting one changes the field, leaving both out keeps it. Each says what
 * it does, the negated one too ("disable: case-sensitive codes" read as the opposite).
 */
const toggle = (name: string, on: string, off: string): OptionSpec[] => [
  { flags: `--${name}`, description: on },
  { flags: `--no-${name}`, description: off },
];

export const policy: CommandSpec = {
  name: 'policy',
  description: 'Show and change the TAC policy (lifetimes, code format, lockout, purge)',
  examples: [{ command: 'tac policy show', description: 'print the current policy' }],
  subcommands: [
    {
      name: 'show',
      description: 'Print the current policy',
      examples: [{ command: 'tac policy show --json', description: 'the policy as JSON' }],
      load: () => import('./show.js'),
    },
    {
      name: 'set',
      description: 'Change policy fields; an invalid combination is refused and nothing changes',
      options: [
        { flags: '--enable', description: 'allow issuing and verifying TACs' },
        { flags: '--disable', description: 'stop issuing and verifying TACs' },
        { flags: '--min-ttl <duration>', description: `shortest allowed lifetime, ${rangeText(R.minTtl)}`, kind: 'duration' },
        { flags: '--max-ttl <duration>', description: `longest allowed lifetime, ${rangeText(R.maxTtl)}`, kind: 'duration' },
        { flags: '--default-ttl <duration>', description: `lifetime when --ttl is not given, ${rangeText(R.defaultTtl)}`, kind: 'duration' },
        { flags: '--length <n>', description: `code length, ${rangeText(R.length)}`, kind: 'number' },
        ...toggle('letters', 'codes have letters (upper-case; lower-case too with --mixed-case) as well as digits', 'codes are digits (and special characters, if enabled) only'),
        ...toggle('special-characters', 'codes have special characters (! @ # $ % & * + = ?)', 'codes have no special characters'),
        ...toggle('mixed-case', 'codes have lower-case letters too and become case-sensitive', 'letters in codes are upper-case only; codes are not case-sensitive'),
        ...toggle('exclude-ambiguous', 'codes leave out look-alikes (0 O 1 I L)', 'codes may have look-alikes (0 O 1 I L)'),
        ...toggle('multi-use-allowed', 'generate may issue --multi-use codes', 'every code is one-time; --multi-use is refused'),
        ...toggle('one-time-default', 'codes are one-time unless --multi-use', 'codes are multi-use unless --one-time (needs --multi-use-allowed)'),
        ...toggle('require-attestation', 'generate needs --verified-by: how the caller was verified', 'generate does not need --verified-by'),
        { flags: '--max-failed-attempts <n>', description: `wrong codes in a row before a lockout, ${rangeText(R.maxFailedAttempts)}`, kind: 'number' },
        { flags: '--lockout-duration <duration>', description: `how long a lockout lasts, ${rangeText(R.lockoutDuration)}`, kind: 'duration' },
        { flags: '--max-consecutive-failures <n>', description: `wrong codes (not reset by a multi-use code's success) before the user is locked until an agent unlocks them, ${rangeText(R.maxConsecutiveFailures)}`, kind: 'number' },
        { flags: '--phone-region <region>', description: 'read phone numbers without a country code in this region (ISO 3166 code, e.g. US; none: refuse them)', kind: 'text' },
        { flags: '--purge-after <days>', description: `delete finished TACs after this many days (30 or 30d), ${rangeText(R.purgeAfterDays)}`, kind: 'number' },
        { flags: '--from-file <file>', description: 'apply the fields of a JSON file (same shape as policy show --json)', kind: 'file' },
      ],
      examples: [
        { command: 'tac policy set --default-ttl 2h', description: 'codes last two hours unless --ttl says otherwise' },
        { command: 'tac policy set --length 12 --special-characters', description: 'longer codes with special characters' },
        { command: 'tac policy set --from-file policy.json', description: 'apply a policy file' },
      ],
      load: () => import('./set.js'),
    },
    {
      name: 'reset',
      description: 'Restore the default policy',
      options: [{ flags: '--yes', description: 'do not ask for confirmation' }],
      examples: [{ command: 'tac policy reset --yes', description: 'back to the defaults' }],
      load: () => import('./reset.js'),
    },
  ],
};
