import { createRequire } from 'node:module';

/**
 * The path of better-sqlite3's compiled addon, so that opening a database does not go through the
 * `bindings` package, whose search (a stack trace and up to a dozen candidate paths) costs ~5 ms of
 * every command's start-up. Undefined when the addon is not where npm builds it (a Debug build, a
 * custom prebuild): better-sqlite3 then searches as usual.
 */
export function sqliteAddonPath(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return undefined;
  }
}
