import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Runs a contract fake (a .mjs server) as a real process on a loopback port: resolves with the
 * JSON line it prints once listening, a caller for its /__control/ endpoint, and a stop.
 */
export async function spawnFake<Info>(script: string, env: Record<string, string>, name: string): Promise<{
  info: Info;
  control: (method: string, path: string, body?: unknown) => Promise<unknown>;
  stop: () => Promise<void>;
}> {
  const child: ChildProcess = spawn(process.execPath, [script, '--port', '0'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise<Info>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.on('exit', (code) => reject(new Error(`the ${name} fake exited (${code}) before listening`)));
  });
  const url = (info as { url: string }).url;
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/__control/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
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
