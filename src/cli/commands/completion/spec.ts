import type { ArgSpec, CommandSpec } from '../../spec.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** The shell argument; `choices` is offered by completion and checked by the handler. */
const shell: ArgSpec & { choices: readonly string[] } = {
  name: 'shell',
  description: 'the shell to complete for',
  choices: SHELLS,
};

export const completion: CommandSpec = {
  name: 'completion',
  description: 'Print a shell completion script (commands, subcommands, flags and their values)',
  args: [shell],
  examples: [
    { command: 'source <(tac completion bash)', description: 'enable completion in the current bash' },
    { command: 'tac completion bash > /etc/bash_completion.d/tac', description: 'install for every bash user' },
    { command: 'tac completion zsh > "${fpath[1]}/_tac"', description: 'install for zsh (then restart it)' },
    { command: 'tac completion fish > ~/.config/fish/completions/tac.fish', description: 'install for fish' },
  ],
  load: () => import('./run.js'),
};
