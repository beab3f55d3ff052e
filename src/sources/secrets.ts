/**
 * Credentials of live sources: resolved from environment variables or files
 * (or inline values) at pull time, and a {@link Redactor} that removes every
 * resolved value from messages.
 */
import { readFileSync } from 'node:fs';
import type { SecretRef } from '../config/index.js';
import { describeError, SourceError } from '../errors.js';

/** Replaces known secret values (and URL userinfo) in text with `***`. */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(value: string): void {
    if (value.length >= 3) this.secrets.add(value);
  }

  redact(text: string): string {
    let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi, '$1***@');
    // Longest first, so that a secret containing another is removed whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }
}

/** What a secret reference says about where it is, never its value. */
export function describeSecretRef(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  return 'inline value';
}

/** Resolves a secret for `source`; throws {@link SourceError} naming where it looked (never the value). */
export function resolveSecret(source: string, key: string, ref: SecretRef, redactor: Redactor, env: NodeJS.ProcessEnv = process.env): string {
  let value: string | undefined;
  if ('env' in ref) {
    value = env[ref.env];
    if (value === undefined || value === '') throw new SourceError(source, `credentials.${key}: environment variable ${ref.env} is not set`);
  } else if ('file' in ref) {
    try {
      value = readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new SourceError(source, `credentials.${key}: cannot read ${ref.file}: ${describeError(err)}`);
    }
    if (value === '') throw new SourceError(source, `credentials.${key}: ${ref.file} is empty`);
  } else value = ref.inline;
  redactor.add(value);
  return value;
}
