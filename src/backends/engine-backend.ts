import { systemClock, type Clock } from '../core/clock.js';
import type { CodeHasher } from '../core/codes.js';
import type { Flow } from '../core/flow.js';
import type { PolicyPatch } from '../core/policy.js';
import { TacCore } from '../core/service.js';
import type { GuestInput, IssueInput, NewUserInput, OnExisting, TacListQuery } from '../core/types.js';
import type { Engine } from '../store/engine.js';
import type { AuditFilter, Backend, ImportRow } from './backend.js';

/**
 * The Backend of tac's own engine in this process, on any database engine (SQLite, PostgreSQL):
 * each operation is the core's flow, run by the engine (Engine.run).
 */
export class EngineBackend implements Backend {
  readonly kind = 'local' as const;
  readonly core: TacCore;

  constructor(
    readonly location: string,
    readonly engine: Engine,
    private readonly hasher: CodeHasher,
    actor: string,
    clock: Clock = systemClock,
  ) {
    this.core = new TacCore({ store: engine.store, clock, hasher, actor });
  }

  /** Refuses a database created under another hashing key (see ServiceCore.checkKey). */
  async checkKey(keyLocation: string): Promise<void> {
    await this.engine.run(this.core.checkKey(keyLocation));
  }

  /** The same engine acting for someone else (the server makes one per authenticated agent). */
  coreFor(actor: string, clock: Clock = systemClock): TacCore {
    return new TacCore({ store: this.engine.store, clock, hasher: this.hasher, actor });
  }

  /** Before an import's batches (SQLite spaces out its checkpoints). */
  protected bulkWrites(): void {}

  private run<T>(flow: Flow<T>): Promise<T> {
    return Promise.resolve(this.engine.run(flow));
  }

  async addUser(input: NewUserInput) { return this.run(this.core.addUser(input)); }
  async importUsers(rows: ImportRow<NewUserInput>[], onExisting: 'fail' | 'skip') {
    this.bulkWrites();
    return this.run(this.core.importUserBatch(rows, onExisting));
  }
  async existingEmails(emails: string[]) { return this.run(this.core.existingEmails(emails)); }
  async searchUsers(query: string, opts?: { guestsOnly?: boolean; limit?: number }) { return this.run(this.core.searchUsers(query, opts)); }
  async showUser(ref: string) { return this.run(this.core.showUser(ref)); }
  async unlockUser(ref: string) { return this.run(this.core.unlockUser(ref)); }
  async setUserDisabled(ref: string, disabled: boolean) { return this.run(this.core.setUserDisabled(ref, disabled)); }
  async deleteUser(ref: string) { return this.run(this.core.deleteUser(ref)); }

  async issueTac(input: IssueInput) { return this.run(this.core.issueTac(input)); }
  async listTacs(q: TacListQuery) { return this.run(this.core.listTacs(q)); }
  async revokeTac(id: string) { return this.run(this.core.revokeTac(id)); }
  async revokeUserTacs(ref: string) { return this.run(this.core.revokeUserTacs(ref)); }
  async verify(ref: string, code: string) { return this.run(this.core.verify(ref, code)); }

  async getPolicy() { return this.run(this.core.getPolicy()); }
  async updatePolicy(patch: PolicyPatch) { return this.run(this.core.updatePolicy(patch)); }
  async replacePolicy(policy: unknown) { return this.run(this.core.replacePolicy(policy)); }
  async resetPolicy() { return this.run(this.core.resetPolicy()); }

  async createGuest(input: GuestInput) { return this.run(this.core.createGuest(input)); }
  async importGuests(rows: ImportRow<GuestInput>[], onExisting: OnExisting) {
    this.bulkWrites();
    return this.run(this.core.importGuestBatch(rows, onExisting));
  }

  async queryAudit(q: AuditFilter) { return this.run(this.core.queryAudit(q)); }
  async purge(dryRun: boolean) { return this.run(this.core.purge(dryRun)); }

  async close() { await this.engine.close(); }
}
