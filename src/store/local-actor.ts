import { userInfo } from 'node:os';

/** The OS user is the actor of local changes in the audit log (the CLI and local agent admin). */
export function localActor(env: Record<string, string | undefined> = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER || env.USERNAME || 'unknown';
  }
}
