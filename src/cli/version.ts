import { readFileSync } from 'node:fs';

/** Read from package.json so the version has one source. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * What `tac --version` prints: it names this tool, since GNU coreutils has a `tac` too (its says
 * "tac (GNU coreutils) 9.1"). bin/tac prints the same line on its fast path; tests check both.
 */
export const VERSION_LINE = `tac ${VERSION} (temporary access codes)`;
