import { describe, expect, it } from 'vitest';
import { catchTacError, makeService } from './helpers.js';

describe('identity attestation', () => {
  it('is required by the default policy before issuing to a user, naming --verified-by', () => {
    const h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    const err = catchTacError(() => h.service.issueTac({ user: 'alice' }), 'invalid_value');
    expect(err.field).toBe('--verified-by');
    expect(err.exitCode).toBe(2);
    expect(h.service.listTacs()).toHaveLength(0);
  });

  it('is stored with its note in the tac.generated audit event', () => {
    const h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    const issued = h.service.issueTac({ user: 'alice', verifiedBy: 'id-document', verificationNote: 'passport checked on video' });
    const [event] = h.service.queryAudit({ action: 'tac.generated' });
    expect(event!.tacId).toBe(issued.id);
    expect(event!.details).toMatchObject({ verifiedBy: 'id-document', verificationNote: 'passport checked on video' });
  });

  it('refuses an unknown method', () => {
    const h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    catchTacError(() => h.service.issueTac({ user: 'alice', verifiedBy: 'gut-feeling' as never }), 'invalid_value');
  });

  it('can be turned off by policy', () => {
    const h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    expect(h.service.getPolicy().requireAttestation).toBe(true);
    h.service.updatePolicy({ requireAttestation: false });
    expect(h.service.issueTac({ user: 'alice' }).code).toBeTruthy();
  });

  it('does not apply to guests provisioned in bulk or one by one', () => {
    const h = makeService();
    expect(h.service.createGuest({ email: 'guest@example.com' }).user.guest).toBe(true);
    const [r] = h.service.importGuestBatch([{ line: 2, input: { email: 'g2@example.com' } }], 'fail');
    expect(r!.status).toBe('created');
  });

  it('a policy stored before the field existed gains its default', () => {
    const h = makeService();
    const { requireAttestation: _, ...old } = h.service.getPolicy();
    h.store.savePolicy(old as never);
    expect(h.service.getPolicy().requireAttestation).toBe(true);
  });
});
