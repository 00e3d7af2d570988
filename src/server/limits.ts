import { MAX_LIST_LIMIT } from '../core/service/core.js';

/** Size limits the server enforces; the remote client and the CLI batch imports to fit them. */

/** Any request body: far above any single user, TAC or policy document. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Import batches (users, guests, existing-email checks): a full batch of typical rows is ~2 MiB. */
export const IMPORT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
/** Rows per import request; each request is one transaction, so larger files go in several batches. */
export const MAX_IMPORT_ROWS = 5000;
export const MAX_AUDIT_LIMIT = 100_000;
export { MAX_LIST_LIMIT };
