// The baseline for `tac serve`: a bare Fastify server with one POST route answering {ok:true}.
// Same framework (the project's own fastify), same JSON body parsing, no logging, no database.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/hello', async () => ({ ok: true }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => app.close().then(() => process.exit(0)));
