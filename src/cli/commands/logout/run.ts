import { FileStore, openCredentialStore, secretAccount, tokenAccount } from '../../../config/credentials.js';
import { configDir } from '../../../store/paths.js';
import type { Handler } from '../../spec.js';
import { resolveTarget } from '../../target.js';

/** Removes the secret and the cached token from wherever they are (keychain and file); keeps the profile. */
export const run: Handler = async (ctx) => {
  const target = resolveTarget(ctx.globals, ctx.env);
  if (target.kind !== 'remote' || !target.clientId) {
    if (ctx.globals.json) return ctx.json({ loggedOut: false });
    ctx.info('Not logged in to a server: commands use a local database.');
    return;
  }
  const dir = configDir(ctx.env);
  const { store } = await openCredentialStore(dir, ctx.env);
  const stores = store.kind === 'file' ? [store] : [store, new FileStore(dir)];
  let removed = false;
  for (const s of stores) {
    for (const account of [secretAccount(target.server, target.clientId), tokenAccount(target.server, target.clientId)]) {
      removed = (await s.delete(account).catch(() => false)) || removed;
    }
  }
  if (ctx.globals.json) return ctx.json({ loggedOut: removed, server: target.server, clientId: target.clientId });
  if (removed) ctx.success(`Logged out of ${target.server} (${target.clientId}): secret and cached token removed.`);
  else ctx.info(`No stored credentials for ${target.clientId} at ${target.server}.`);
};
