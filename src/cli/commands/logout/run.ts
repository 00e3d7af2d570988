import { FileStore, openCredentialStore, secretAccount, tokenAccount } from '../../../config/credentials.js';
import { configDir } from '../../../store/paths.js';
import type { Handler } from '../../spec.js';
import { resolveTarget } from '../../target.js';
import { storedSecretId } from '../../remote-credentials.js';

/** Removes the secret and the cached token from wherever they are (keychain and file); keeps the profile. */
export const run: Handler = async (ctx) => {
  const target = resolveTarget(ctx.globals, ctx.env);
  const id = target.kind === 'remote' ? storedSecretId(target.auth, target.clientId) : undefined;
  if (target.kind !== 'remote' || !id) {
    if (ctx.globals.json) return ctx.json({ loggedOut: false });
    ctx.info('Not logged in to a server: commands use a local database.');
    return;
  }
  const dir = configDir(ctx.env);
  const { store } = await openCredentialStore(dir, ctx.env);
  const stores = store.kind === 'file' ? [store] : [store, new FileStore(dir)];
  let removed = false;
  for (const s of stores) {
    for (const account of [secretAccount(target.server, id), tokenAccount(target.server, id)]) {
      removed = (await s.delete(account).catch(() => false)) || removed;
    }
  }
  const who = target.auth === 'api_token' ? 'the API token' : target.clientId;
  if (ctx.globals.json) return ctx.json({ loggedOut: removed, server: target.server, clientId: target.clientId ?? null });
  // A private key is the user's own file: tac never copied it, so it leaves it where it is.
  const what = target.auth === 'private_key' ? `cached token removed; the key file ${target.privateKeyFile ?? ''} is left as it is` : 'secret and cached token removed';
  if (removed) ctx.success(`Logged out of ${target.server} (${who}): ${what}.`);
  else ctx.info(`No stored credentials for ${who} at ${target.server}.`);
};
