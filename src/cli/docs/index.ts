/**
 * Everything generated from the command tree: completion scripts and the man page, as a map from
 * repository path to content. Pure (no I/O besides the version read at start-up), so the tests
 * can compare it with the committed files; `npm run gen` writes it (src/cli/docs/write.ts).
 */
import type { Shell } from '../commands/completion/spec.js';
import { COMMANDS } from '../commands/index.js';
import * as reference from '../reference.js';
import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from '../spec.js';
import { VERSION } from '../version.js';
import { bashCompletion } from './bash.js';
import { fishCompletion } from './fish.js';
import { manPage } from './man.js';
import { buildModel, type DocModel } from './model.js';
import { zshCompletion } from './zsh.js';

export { SHELLS, type Shell } from '../commands/completion/spec.js';

/** Where `npm run gen` writes each generated file, relative to the repository root. */
export const GENERATED_FILES = {
  bash: 'completions/tac.bash',
  zsh: 'completions/_tac',
  fish: 'completions/tac.fish',
  man: 'man/tac.1',
} as const;

export function docModel(commands: readonly CommandSpec[] = COMMANDS, globalOptions: readonly OptionSpec[] = GLOBAL_OPTIONS): DocModel {
  return buildModel(commands, globalOptions, { description: reference.SUMMARY });
}

export function completionScript(shell: Shell, model: DocModel = docModel()): string {
  switch (shell) {
    case 'bash':
      return bashCompletion(model);
    case 'zsh':
      return zshCompletion(model);
    case 'fish':
      return fishCompletion(model);
  }
}

export function manual(model: DocModel = docModel(), version: string = VERSION): string {
  return manPage(model, {
    version,
    date: reference.MAN_DATE,
    summary: reference.SUMMARY,
    description: reference.DESCRIPTION,
    valueKinds: reference.VALUE_KINDS,
    exitCodes: reference.EXIT_CODES,
    environment: reference.ENVIRONMENT,
    files: reference.FILES,
  });
}

/** Every generated file: repository-relative path → content. */
export function generateDocs(model: DocModel = docModel()): Record<string, string> {
  return {
    [GENERATED_FILES.bash]: completionScript('bash', model),
    [GENERATED_FILES.zsh]: completionScript('zsh', model),
    [GENERATED_FILES.fish]: completionScript('fish', model),
    [GENERATED_FILES.man]: manual(model),
  };
}
