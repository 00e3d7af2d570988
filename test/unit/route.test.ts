/** src/cli/route.ts: `help A B` is `A B --help`; a word that names no command is a one-line usage error with suggestions. */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { route, suggest } from '../../src/cli/route.js';
import { TacError } from '../../src/core/errors.js';

const refused = (argv: string[]): TacError => {
  try {
    route(argv, COMMANDS);
  } catch (e) {
    if (e instanceof TacError) return e;
    throw e;
  }
  throw new Error(`route accepted ${argv.join(' ')}`);
};

describe('route', () => {
  it('turns help A B into A B --help, at any level and after global options', () => {
    expect(route(['help', 'users', 'add'], COMMANDS)).toEqual(['users', 'add', '--help']);
    expect(route(['users', 'help', 'add'], COMMANDS)).toEqual(['users', 'add', '--help']);
    expect(route(['--db', 'help', 'help', 'list'], COMMANDS)).toEqual(['--db', 'help', 'list', '--help']);
    expect(route(['help'], COMMANDS)).toEqual(['--help']);
  });

  it('leaves commands, their arguments and everything after -- alone', () => {
    for (const argv of [['users', 'search', 'help'], ['generate', '--user', 'nosuch'], ['--profile', 'work', 'ls'], ['--', 'nosuch'], ['--version'], []]) {
      expect(route(argv, COMMANDS)).toEqual(argv);
    }
  });

  it('refuses an unknown command, with or without help, exit 2, in one line', () => {
    for (const argv of [['nosuch'], ['nosuch', '--help'], ['help', 'nosuch'], ['--json', 'nosuch', '-h']]) {
      const e = refused(argv);
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe("unknown command 'nosuch' (tac --help lists the commands)");
    }
    expect(refused(['help', 'users', 'nosuch']).message).toBe("unknown command 'users nosuch' (tac users --help lists the commands)");
  });

  it('suggests commands the word begins first, then subcommands of that name, then close spellings', () => {
    expect(refused(['gen']).message).toBe("unknown command 'gen' (Did you mean generate?)");
    expect(refused(['users', 'ad']).message).toBe("unknown command 'users ad' (Did you mean users add?)");
    expect(suggest('gen', COMMANDS)).toEqual(['generate']);
    expect(suggest('g', COMMANDS)).toEqual(['generate', 'guests']);
    expect(suggest('add', COMMANDS)).toEqual(['users add']);
    expect(suggest('import', COMMANDS)).toEqual(['users import', 'guests import']);
    expect(suggest('lsit', COMMANDS)).toEqual(['list']);
    expect(suggest('polcy', COMMANDS)).toEqual(['policy']);
    expect(suggest('xyz', COMMANDS)).toEqual([]);
  });
});
