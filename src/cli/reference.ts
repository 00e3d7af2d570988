/**
 * Reference data that the man page (src/cli/docs/man.ts) and the README share and that is not in
 * the command tree: exit codes, environment variables and files. README.md's sections "Exit
 * codes", "Environment variables" and "Files" say the same; test/docs checks they stay in sync.
 */

/** One line for NAME in the man page and the program's description. */
export const SUMMARY = 'issue, verify and manage temporary access codes (TACs) for help desks';

/**
 * Date of the man page (its .TH line). A fixed date, not today's, so that `npm run gen` is
 * deterministic: bump it together with the version in package.json.
 */
export const MAN_DATE = '2026-11-22';

export interface ExitCode {
  code: number;
  meaning: string;
  /** Examples of when it happens. */
  detail?: string;
}

/** Exit codes; the mapping from error codes lives in src/core/errors.ts (ERROR_TABLE, EXIT). */
export const EXIT_CODES: readonly ExitCode[] = [
  { code: 0, meaning: 'success', detail: 'for verify: the code is valid' },
  { code: 1, meaning: 'unexpected error', detail: 'a bug, an unreadable database, a hashing-key mismatch' },
  { code: 2, meaning: 'usage error or invalid value', detail: 'also: a bad CSV row, a refused policy, an unknown command or flag' },
  { code: 3, meaning: 'not found', detail: 'user, TAC' },
  { code: 4, meaning: 'authentication or permission', detail: 'remote server' },
  { code: 5, meaning: 'rejected by policy or conflict, or not offered', detail: 'TTL out of bounds, TACs disabled, duplicate email, disabled user, too many requests; a command the identity provider does not offer (tac list on Mosaic)' },
  { code: 6, meaning: 'verification failed', detail: 'verify: the code is not valid; the reason is printed' },
  { code: 7, meaning: 'server or database unreachable', detail: 'no answer from the tac server, or its database is unavailable (HTTP 503), or a PostgreSQL database cannot be reached' },
  { code: 8, meaning: 'cancelled', detail: 'the answer to a confirmation was No; nothing was changed' },
  { code: 130, meaning: 'interrupted', detail: 'Ctrl-C' },
  { code: 141, meaning: 'output closed', detail: 'the reader of standard output went away, as in tac list | head -1: the command stops there, quietly, like tools killed by SIGPIPE' },
];

export interface EnvVar {
  /** One or more variables that mean the same thing. */
  names: readonly string[];
  description: string;
}

export const ENVIRONMENT: readonly EnvVar[] = [
  { names: ['TAC_DB'], description: 'database file or postgres:// URL (overridden by --db)' },
  {
    names: ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSSLMODE'],
    description: 'a postgres:// database: what the URL leaves out, read by node-postgres as libpq does (also ~/.pgpass); keep the password here or in ~/.pgpass rather than in the URL',
  },
  { names: ['TAC_KEY_FILE'], description: 'hashing key file (default: hmac.key in the config dir)' },
  { names: ['TAC_SERVER'], description: 'URL of a tac server, or the base URL of an identity provider (TAC_PROVIDER): commands run there instead of on a local database' },
  { names: ['TAC_PROVIDER'], description: 'what answers at TAC_SERVER: tac (tac serve, the default) or an identity provider (see Identity providers)' },
  {
    names: ['TAC_CLIENT_ID', 'TAC_CLIENT_SECRET'],
    description: 'agent (or provider app) credentials for CI and scripts; they take precedence over stored profiles',
  },
  { names: ['TAC_API_TOKEN'], description: 'okta: an API token (sent as Authorization: SSWS …), instead of a client id and key' },
  { names: ['TAC_PRIVATE_KEY_FILE'], description: 'okta, entra: with TAC_CLIENT_ID, sign in with this PEM private key (entra: the certificate in the same file); TAC_KEY_ID names the key (kid) for okta' },
  { names: ['TAC_TENANT'], description: 'entra: the directory (tenant) id or a verified domain; names the token endpoint' },
  { names: ['TAC_TOKEN_URL'], description: "a provider's token endpoint (default: mosaic $TAC_SERVER/oidc/token, okta $TAC_SERVER/oauth2/v1/token, entra https://login.microsoftonline.com/$TAC_TENANT/oauth2/v2.0/token), as login's --token-url" },
  { names: ['TAC_PROFILE'], description: 'name of the profile to use (default: the current profile)' },
  { names: ['TAC_KEYCHAIN'], description: 'off: do not use the OS keychain; client secrets go to credentials.json' },
  { names: ['TAC_PHONE_REGION'], description: 'upgrading a database to canonical phone numbers: the region of numbers stored without a country code (e.g. US); it becomes the policy phoneRegion' },
  { names: ['TAC_VERIFY_RATE_LIMIT'], description: 'tac serve: verify requests allowed per client per minute (default 600)' },
  { names: ['TAC_TRUST_PROXY'], description: 'tac serve: reverse proxies whose X-Forwarded-For gives the client address, as --trust-proxy (which overrides it)' },
  { names: ['XDG_DATA_HOME'], description: 'data dir base: the database is $XDG_DATA_HOME/tac/tac.db' },
  { names: ['XDG_CONFIG_HOME'], description: 'config dir base: key, profiles and credentials are in $XDG_CONFIG_HOME/tac' },
  { names: ['XDG_CACHE_HOME'], description: 'cache dir base: the compiled-code cache is in $XDG_CACHE_HOME/tac' },
  { names: ['TAC_COMPILE_CACHE'], description: 'off: do not keep compiled code in the cache dir (commands then start ~15 ms slower)' },
  { names: ['NO_COLOR'], description: 'any non-empty value turns colour off' },
  { names: ['CLICOLOR_FORCE', 'FORCE_COLOR'], description: 'non-zero forces colour even when piped' },
  { names: ['CI'], description: 'when set, tac never prompts' },
];

export interface FileEntry {
  path: string;
  /** Where it is when the XDG variable is not set. */
  fallback?: string;
  description: string;
}

export const FILES: readonly FileEntry[] = [
  {
    path: '$XDG_DATA_HOME/tac/tac.db',
    fallback: '~/.local/share/tac/tac.db; macOS ~/Library/Application Support/tac; Windows %LOCALAPPDATA%\\tac',
    description: 'the SQLite database, created on first use with migrations, mode 0600 (directory 0700), WAL mode',
  },
  {
    path: '$XDG_DATA_HOME/tac/audit-PROFILE.jsonl',
    fallback: '~/.local/share/tac/audit-PROFILE.jsonl (audit-HOST.jsonl without a profile)',
    description: 'what tac did on an identity provider (tac audit shows it): JSON Lines, mode 0600, never a code',
  },
  {
    path: '$XDG_CONFIG_HOME/tac/hmac.key',
    fallback: '~/.config/tac/hmac.key',
    description: 'the 256-bit HMAC key for code hashes, created on first use, mode 0600; back it up with the database',
  },
  {
    path: '$XDG_CONFIG_HOME/tac/config.json',
    fallback: '~/.config/tac/config.json',
    description: 'profiles: which database or server commands use, and the current profile',
  },
  {
    path: '$XDG_CONFIG_HOME/tac/credentials.json',
    fallback: '~/.config/tac/credentials.json',
    description: 'client secrets, only when no OS keychain works (or TAC_KEYCHAIN=off), mode 0600',
  },
  {
    path: '$XDG_CACHE_HOME/tac/compile-*.v8',
    fallback: '~/.cache/tac; macOS ~/Library/Caches/tac; Windows %LOCALAPPDATA%\\tac',
    description: "V8's compiled code of the CLI, one file per command, build and node version, mode 0600; safe to delete",
  },
  {
    path: '$TMPDIR/tac-import-*.jsonl',
    fallback: '/tmp; Windows %TEMP%',
    description: 'while users import or guests import runs: the rows it checked (names, emails, phone numbers; never a code), mode 0600, removed from the directory as soon as it is open (Windows: when the import ends), so even a killed import leaves nothing behind',
  },
];

/** Paragraphs of the man page's DESCRIPTION. */
export const DESCRIPTION: readonly string[] = [
  'tac issues temporary access codes (TACs): short-lived codes that let a user who lost their phone, password or authenticator sign in once (or for a few hours) to recover. It works on a local SQLite database by default, or against a tac server.',
  'A code is printed exactly once, by the command that issues it (generate, guests create, guests import). It is stored only as a keyed hash (HMAC-SHA-256) and can never be read back, listed, logged or audited.',
  'Data goes to standard output and messages to standard error. On a terminal the output is tables and colour; piped, it is tab-separated lines; with --json it is JSON. Errors are one line on standard error starting with "error:".',
];

/** What the value kinds of flags and arguments (OptionSpec.kind) accept, for the man page. */
export const VALUE_KINDS: readonly { name: string; description: string }[] = [
  { name: 'user', description: 'a user id (usr_...), username, email or phone number, detected automatically' },
  { name: 'duration', description: '90m, 8h, 2d, a combination such as 1h30m, or plain minutes; tac serve\'s timeouts take seconds and need a unit: 30s, 2m, 1m30s' },
  { name: 'time', description: 'ISO-8601 (2026-05-01T09:00:00Z) or relative to now (+2h)' },
];
