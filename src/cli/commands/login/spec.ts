import { PROVIDERS } from '../../../backends/providers.js';
import type { CommandSpec } from '../../spec.js';

export const login: CommandSpec = {
  name: 'login',
  description: 'Log in to a tac server or an identity provider with client credentials and store them',
  options: [
    { flags: '--provider <name>', description: `what answers at --server: tac (tac serve, the default) or an identity provider (${PROVIDERS.filter((p) => p !== 'tac').join(', ')})`, choices: PROVIDERS },
    { flags: '--client-id <id>', description: 'the agent\'s client id (agt_…), or the provider app\'s', kind: 'text' },
    { flags: '--token-url <url>', description: 'the provider\'s token endpoint (default: mosaic {server}/oidc/token, okta {server}/oauth2/v1/token, entra https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token)', kind: 'text' },
    { flags: '--client-secret-stdin', description: 'read the client secret from standard input (first line)' },
    { flags: '--api-token-stdin', description: 'okta: read an API token (SSWS) from standard input (first line)' },
    { flags: '--private-key-file <path>', description: 'okta, entra: sign in with this PEM private key (entra: with its certificate in the same file); the profile keeps the path, never the key', kind: 'file' },
    { flags: '--key-id <kid>', description: 'okta: the key\'s id (kid) among the service app\'s public keys', kind: 'text' },
    { flags: '--tenant <id>', description: 'entra: the directory (tenant) id or a verified domain', kind: 'text' },
  ],
  examples: [
    { command: 'tac login --server https://tac.example.com --client-id agt_abcdefghijklmnop', description: 'asks for the secret (hidden)' },
    { command: 'printf "%s\\n" "$SECRET" | tac login --server https://tac.example.com --client-id agt_abcdefghijklmnop --client-secret-stdin', description: 'from a script' },
    { command: 'tac login --provider mosaic --server https://api.transmitsecurity.io --client-id CLIENT_ID', description: 'Transmit Mosaic: asks for the app\'s client secret (hidden)' },
    { command: 'tac login --provider entra --tenant contoso.onmicrosoft.com --client-id CLIENT_ID --private-key-file ~/tac-entra.pem', description: 'Microsoft Entra with a certificate (key and certificate in one PEM file)' },
  ],
  load: () => import('./run.js'),
};
