import type { CommandSpec } from '../../spec.js';

export const users: CommandSpec = {
  name: 'users',
  description: 'Add, find, import, unlock, disable and delete users',
  examples: [{ command: 'tac users search alice', description: 'find users by name, username, email or phone' }],
  subcommands: [
    {
      name: 'add',
      description: 'Add a user',
      options: [
        { flags: '--username <username>', description: 'unique username (letters, digits, . _ @ + -)', kind: 'text' },
        { flags: '--email <email>', description: 'unique email address', kind: 'text' },
        { flags: '--phone <phone>', description: 'phone number, 6 to 15 digits, optional leading +', kind: 'text' },
        { flags: '--name <name>', description: 'display name', kind: 'text' },
        { flags: '--guest', description: 'mark as a guest (signs in only with a TAC)' },
      ],
      examples: [
        { command: 'tac users add --username alice --email alice@example.com --name "Alice Liddell"', description: 'add a user' },
        { command: 'tac users add --username bob --email bob@example.com --phone +15551234567', description: 'add a user with a phone number' },
      ],
      load: () => import('./add.js'),
    },
    {
      name: 'import',
      description: 'Import users from a CSV file (header: username,email,phone,name,guest)',
      args: [{ name: 'file', description: 'CSV file, or - for standard input', kind: 'file' }],
      options: [{ flags: '--on-existing <mode>', description: 'what to do when an email already exists', choices: ['fail', 'skip'] }],
      examples: [{ command: 'tac users import staff.csv', description: 'import users; nothing is written if any row is bad' }],
      load: () => import('./import.js'),
    },
    {
      name: 'search',
      description: 'Search users by username, email, name or phone',
      args: [{ name: 'query', description: 'text to look for (empty lists everyone)', required: false }],
      options: [
        { flags: '--guests', description: 'only guests' },
        { flags: '--limit <n>', description: 'at most N users (default 20, max 1000)', kind: 'number' },
      ],
      examples: [
        { command: 'tac users search alice', description: 'find users matching "alice"' },
        { command: 'tac users search --guests --json', description: 'list guests as JSON' },
      ],
      load: () => import('./search.js'),
    },
    {
      name: 'show',
      description: 'Show a user: profile, current TAC status, failed attempts and lock',
      args: [{ name: 'user', description: 'id, username, email or phone', kind: 'user' }],
      examples: [{ command: 'tac users show alice@example.com', description: 'show a user by email' }],
      load: () => import('./show.js'),
    },
    {
      name: 'unlock',
      description: 'Clear failed attempts and a verification lockout',
      args: [{ name: 'user', description: 'id, username, email or phone', kind: 'user' }],
      examples: [{ command: 'tac users unlock alice', description: 'let alice try her code again' }],
      load: () => import('./unlock.js'),
    },
    {
      name: 'disable',
      description: 'Disable a user: revokes their TAC; they can neither receive nor use one',
      args: [{ name: 'user', description: 'id, username, email or phone', kind: 'user' }],
      options: [{ flags: '--yes', description: 'do not ask for confirmation' }],
      examples: [{ command: 'tac users disable alice --yes', description: 'disable alice' }],
      load: () => import('./disable.js'),
    },
    {
      name: 'enable',
      description: 'Enable a disabled user',
      args: [{ name: 'user', description: 'id, username, email or phone', kind: 'user' }],
      examples: [{ command: 'tac users enable alice', description: 'enable alice again' }],
      load: () => import('./enable.js'),
    },
    {
      name: 'delete',
      description: 'Delete a user and their TACs (the audit log keeps their events)',
      args: [{ name: 'user', description: 'id, username, email or phone', kind: 'user' }],
      options: [{ flags: '--yes', description: 'do not ask for confirmation' }],
      examples: [{ command: 'tac users delete alice --yes', description: 'delete alice' }],
      load: () => import('./delete.js'),
    },
  ],
};
