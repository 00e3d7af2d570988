import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A contract fake (an .mjs server) as a real child process: waits for the JSON line it prints
 * once listening, and gives its control endpoint and a way to stop it. Shared by the fakes' starters.
 */
export async function startFakeProcess<Info extends { url: string }>(script: string, args: string[], env: Record<string, string>, name: string) {
  const child: ChildProcess = spawn(process.execPath, [script, '--port', '0', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise<Info>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as Info);
    });
    child.on('exit', (code) => reject(new Error(`the ${name} fake exited (${code}) before listening`)));
  });
  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${info.url}/__control/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`fake control ${path}: HTTP ${res.status}`);
    return res.status === 204 ? undefined : res.json();
  };
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { info, control, stop };
}
