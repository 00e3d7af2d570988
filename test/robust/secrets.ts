/** Secret scans of the robustness suites: where a code, secret or token was written, in any form. */
import { readFileSync } from 'node:fs';

/** The forms a code or secret could be written in: as is, lower/upper case, grouped, UTF-16. */
export function secretForms(secret: string): Buffer[] {
  const forms = new Set([secret, secret.toLowerCase(), secret.toUpperCase()]);
  if (secret.length === 8) forms.add(`${secret.slice(0, 4)} ${secret.slice(4)}`).add(`${secret.slice(0, 4)}-${secret.slice(4)}`);
  return [...forms].flatMap((f) => [Buffer.from(f, 'utf8'), Buffer.from(f, 'utf16le')]);
}

/** Where (which file or output) any of the secrets occurs. */
export function findSecrets(secrets: string[], sources: { name: string; bytes: Buffer }[]): string[] {
  const hits: string[] = [];
  const forms = secrets.map((s) => ({ s, forms: secretForms(s) }));
  for (const src of sources) {
    for (const { s, forms: fs } of forms) {
      if (fs.some((f) => src.bytes.includes(f))) hits.push(`${s.slice(0, 2)}… in ${src.name}`);
    }
  }
  return hits;
}

export const fileSources = (files: string[]) => files.map((f) => ({ name: f, bytes: readFileSync(f) }));
