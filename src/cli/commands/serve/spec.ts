import type { CommandSpec } from '../../spec.js';

export const serve: CommandSpec = {
  name: 'serve',
  description: 'Run the TAC server: the same engine over HTTP for a help desk and for apps that verify codes',
  options: [
    { flags: '--host <host>', description: 'address to listen on (default 127.0.0.1)', kind: 'text' },
    { flags: '--port <port>', description: 'port to listen on (default 8787; 0 picks a free one)', kind: 'number' },
    { flags: '--tls-cert <file>', description: 'PEM certificate: serve HTTPS (with --tls-key)', kind: 'file' },
    { flags: '--tls-key <file>', description: 'PEM private key for --tls-cert', kind: 'file' },
    { flags: '--token-rate-limit <n>', description: 'token requests allowed per minute from one address (default 60)', kind: 'number' },
    {
      flags: '--trust-proxy <addresses>',
      description: 'reverse proxies whose X-Forwarded-For gives the client address: addresses or CIDR ranges, comma-separated (e.g. 127.0.0.1,10.0.0.0/8 or loopback; also TAC_TRUST_PROXY). Not true or a hop count: a client could forge its address',
      kind: 'text',
    },
    { flags: '--request-timeout <duration>', description: 'time a client has to send a whole request, headers and body (default 30s); a slower one gets 408 and is disconnected', kind: 'duration' },
    { flags: '--headers-timeout <duration>', description: 'time a client has to send the request headers (default 10s; at most --request-timeout)', kind: 'duration' },
    { flags: '--keep-alive-timeout <duration>', description: 'how long an idle connection stays open for the next request (default 5s)', kind: 'duration' },
    {
      flags: '--max-connections-per-address <n>',
      description: 'open connections allowed from one address (default 100); more are closed at once. Behind a proxy, the proxy is that address',
      kind: 'number',
    },
    { flags: '--pool-size <n>', description: 'PostgreSQL connections to keep open, when --db is a postgres:// URL (default 10)', kind: 'number' },
  ],
  examples: [
    { command: 'tac serve', description: 'serve the default database on http://127.0.0.1:8787' },
    { command: 'tac serve --db /srv/tac/tac.db --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem', description: 'HTTPS for a whole help desk' },
    { command: 'tac serve --db /srv/tac/tac.db --trust-proxy 127.0.0.1', description: 'behind a TLS proxy on this machine: limits apply per client address' },
    { command: 'tac serve --db postgres://tac@db.example.com/tac --host 0.0.0.0', description: 'one of several replicas on a shared PostgreSQL database' },
  ],
  load: () => import('./run.js'),
};
