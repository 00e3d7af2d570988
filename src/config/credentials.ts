import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TacError } from '../core/errors.js';
import { importModule } from '../import-module.js';

/**
 * Where client secrets and cached tokens live: the OS keychain (keytar) when one works, else a
 * 0600 file in the config dir. keytar is optional and loaded lazily; every keychain call is
 * bounded by a timeout, so a missing or hung Secret Service never hangs a command.
 */
export interface CredentialStore {
  readonly kind: 'keychain' | 'file';
  /** Human-readable location for `tac whoami` and warnings. */
  readonly where: string;
  get(account: string): Promise<string | undefined>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

const SERVICE = 'tac';
export const KEYCHAIN_TIMEOUT_MS = 3000;
export const CREDENTIALS_FILE = 'credentials.json';

type Keytar = {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
};

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]);
}

class KeychainStore implements CredentialStore {
  readonly kind = 'keychain' as const;
  readonly where = 'the OS keychain';
  constructor(private readonly keytar: Keytar, private readonly timeoutMs: number) {}
  async get(account: string) {
    return (await withTimeout(this.keytar.getPassword(SERVICE, account), this.timeoutMs, 'the keychain')) ?? undefined;
  }
  async set(account: string, secret: string) {
    await withTimeout(this.keytar.setPassword(SERVICE, account, secret), this.timeoutMs, 'the keychain');
  }
  async delete(account: string) {
    return withTimeout(this.keytar.deletePassword(SERVICE, account), this.timeoutMs, 'the keychain');
  }
}

/** The fallback: one JSON object in a 0600 file; the mode is re-applied on every write. */
export class FileStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly where: string;
  constructor(private readonly dir: string) {
    this.where = join(dir, CREDENTIALS_FILE);
  }
  private read(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(this.where, 'utf8')) as Record<string, string>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new TacError('internal', `${this.where} is damaged; remove it and run tac login again`);
    }
  }
  private write(data: Record<string, string>): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.where}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.where);
    chmodSync(this.where, 0o600);
  }
  async get(account: string) {
    return this.read()[account];
  }
  async set(account: string, secret: string) {
    this.write({ ...this.read(), [account]: secret });
  }
  async delete(account: string) {
    const data = this.read();
    if (!(account in data)) return false;
    delete data[account];
    this.write(data);
    return true;
  }
}

export interface OpenedStore {
  store: CredentialStore;
  /** Why the keychain was not used, when it was not. */
  fallbackReason?: string;
}

/**
 * Probes the keychain once (a read of a dummy entry) and falls back to the file when keytar is
 * not installed, cannot reach a Secret Service, or does not answer in time. TAC_KEYCHAIN=off
 * skips the keychain (for machines where probing it is unwanted).
 */
export async function openCredentialStore(configDir: string, env: Record<string, string | undefined>, timeoutMs = KEYCHAIN_TIMEOUT_MS): Promise<OpenedStore> {
  if (env.TAC_KEYCHAIN === 'off') return { store: new FileStore(configDir), fallbackReason: 'TAC_KEYCHAIN=off' };
  try {
    const mod = await importModule<{ default?: Keytar } & Keytar>('keytar');
    const keytar = mod.default ?? mod;
    const store = new KeychainStore(keytar, timeoutMs);
    await store.get('probe');
    return { store };
  } catch (e) {
    const reason = (e as Error).message?.split('\n')[0] ?? String(e);
    return { store: new FileStore(configDir), fallbackReason: reason };
  }
}

export const secretAccount = (server: string, clientId: string): string => `secret:${clientId}@${server}`;
export const tokenAccount = (server: string, clientId: string): string => `token:${clientId}@${server}`;
