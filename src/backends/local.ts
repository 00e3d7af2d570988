import { systemClock, type Clock } from '../core/clock.js';
import { hmacHasher, type CodeHasher } from '../core/codes.js';
import type { PolicyPatch } from '../core/policy.js';
import { TacService } from '../core/service.js';
import type { GuestInput, IssueInput, NewUserInput, OnExisting, TacListQuery } from '../core/types.js';
import { loadOrCreateKey } from '../store/key-file.js';
import { openDatabase, SqliteStore } from '../store/sqlite-store.js';
import type { AuditFilter, Backend, ImportRow } from './backend.js';

export interface LocalOptions {
  dbPath: string;
  keyPath: string;
  actor: string;
  clock?: Clock;
}

/** The default backend: the core engine on an embedded SQLite database, in this process. */
export class LocalBackend implements Backend {
  readonly kind = 'local' as const;
  readonly location: string;
  readonly store: SqliteStore;
  readonly service: TacService;
  private readonly hasher: CodeHasher;

  constructor(opts: LocalOptions) {
    this.location = opts.dbPath;
    this.hasher = hmacHasher(loadOrCreateKey(opts.keyPath));
    this.store = new SqliteStore(openDatabase(opts.dbPath));
    this.service = new TacService({ store: this.store, clock: opts.clock ?? systemClock, hasher: this.hasher, actor: opts.actor });
    try {
      this.service.checkKey(opts.keyPath);
    } catch (e) {
      this.store.close();
      throw e;
    }
  }

  /** The same engine acting for someone else (the server makes one per authenticated agent). */
  withActor(actor: string, clock: Clock = systemClock): TacService {
    return new TacService({ store: this.store, clock, hasher: this.hasher, actor });
  }

  async addUser(input: NewUserInput) { return this.service.addUser(input); }
  async importUsers(rows: ImportRow<NewUserInput>[], onExisting: 'fail' | 'skip') {
    this.store.bulkWrites();
    return this.service.importUserBatch(rows, onExisting);
  }
  async existingEmails(emails: string[]) { return this.service.existingEmails(emails); }
  async searchUsers(query: string, opts?: { guestsOnly?: boolean; limit?: number }) { return this.service.searchUsers(query, opts); }
  async showUser(ref: string) { return this.service.showUser(ref); }
  async unlockUser(ref: string) { return this.service.unlockUser(ref); }
  async setUserDisabled(ref: string, disabled: boolean) { return this.service.setUserDisabled(ref, disabled); }
  async deleteUser(ref: string) { return this.service.deleteUser(ref); }

  async issueTac(input: IssueInput) { return this.service.issueTac(input); }
  async listTacs(q: TacListQuery) { return this.service.listTacs(q); }
  async revokeTac(id: string) { return this.service.revokeTac(id); }
  async revokeUserTacs(ref: string) { return this.service.revokeUserTacs(ref); }
  async verify(ref: string, code: string) { return this.service.verify(ref, code); }

  async getPolicy() { return this.service.getPolicy(); }
  async updatePolicy(patch: PolicyPatch) { return this.service.updatePolicy(patch); }
  async replacePolicy(policy: unknown) { return this.service.replacePolicy(policy); }
  async resetPolicy() { return this.service.resetPolicy(); }

  async createGuest(input: GuestInput) { return this.service.createGuest(input); }
  async importGuests(rows: ImportRow<GuestInput>[], onExisting: OnExisting) {
    this.store.bulkWrites();
    return this.service.importGuestBatch(rows, onExisting);
  }

  async queryAudit(q: AuditFilter) { return this.service.queryAudit(q); }
  async purge(dryRun: boolean) { return this.service.purge(dryRun); }

  async close() { this.store.close(); }
}
