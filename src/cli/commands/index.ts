import type { CommandSpec } from '../spec.js';
import { agents } from './agents/spec.js';
import { audit } from './audit/spec.js';
import { completion } from './completion/spec.js';
import { config } from './config/spec.js';
import { deleteCmd } from './delete/spec.js';
import { generate } from './generate/spec.js';
import { guests } from './guests/spec.js';
import { list } from './list/spec.js';
import { login } from './login/spec.js';
import { logout } from './logout/spec.js';
import { policy } from './policy/spec.js';
import { purge } from './purge/spec.js';
import { serve } from './serve/spec.js';
import { users } from './users/spec.js';
import { verify } from './verify/spec.js';
import { whoami } from './whoami/spec.js';

/** The command tree. Specs are plain data; handlers are imported only when their command runs. */
export const COMMANDS: CommandSpec[] = [
  generate, verify, list, deleteCmd, users, guests, policy, audit, purge,
  serve, agents, login, logout, whoami, config,
  completion,
];
