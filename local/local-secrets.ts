/**
 * Local mode's secrets: `local/secrets.local.json` (git-ignored), created from the committed
 * `local/secrets.example.json` on first run. They hold development values only; `npm start` loads them
 * into the Secrets Manager stand-in and `npm run send` signs with them.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProviderId } from '../lambdas/providers/types';
import { generateLocalSecret } from './signers';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SECRETS_EXAMPLE_PATH = join(HERE, 'secrets.example.json');
export const SECRETS_LOCAL_PATH = join(HERE, 'secrets.local.json');

/** One source's entry: `secret` (or `secrets`, newest first, to try a rotation) and an optional signing key. */
export interface LocalSourceEntry {
  readonly secret?: string;
  readonly secrets?: readonly string[];
  /** Signs deliveries when it differs from what the pipeline verifies with (SendGrid's private key). */
  readonly signingKey?: string;
}

export interface LocalSecretsFile {
  readonly cdpApiKey: string;
  readonly sources: Readonly<Record<string, LocalSourceEntry>>;
}

/** Thrown for a secrets file that cannot be used; the message says what to fix. */
export class LocalSecretsError extends Error {
  override readonly name = 'LocalSecretsError';
}

/** Creates `secrets.local.json` from the example when missing; returns true when it did. */
export function ensureLocalSecretsFile(
  localPath = SECRETS_LOCAL_PATH,
  examplePath = SECRETS_EXAMPLE_PATH,
): boolean {
  if (existsSync(localPath)) return false;
  copyFileSync(examplePath, localPath);
  return true;
}

/** Reads and checks a secrets file; every problem is named with its path. */
export function readLocalSecrets(path: string): LocalSecretsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new LocalSecretsError(
      `${path} is not valid JSON (${(error as Error).message}). Fix it, or delete it to start again from the example.`,
    );
  }
  const file = parsed as Partial<LocalSecretsFile> | null;
  if (
    typeof file !== 'object' ||
    file === null ||
    typeof file.sources !== 'object' ||
    file.sources === null
  ) {
    throw new LocalSecretsError(`${path} must be an object with "sources" (see local/secrets.example.json)`);
  }
  if (typeof file.cdpApiKey !== 'string' || file.cdpApiKey === '') {
    throw new LocalSecretsError(`${path} must set "cdpApiKey" to a non-empty string`);
  }
  for (const [id, entry] of Object.entries(file.sources)) {
    const valid =
      typeof entry === 'object' &&
      entry !== null &&
      ((typeof entry.secret === 'string' && entry.secret !== '') ||
        (Array.isArray(entry.secrets) &&
          entry.secrets.length > 0 &&
          entry.secrets.every((s) => typeof s === 'string')));
    if (!valid)
      throw new LocalSecretsError(`${path}: source "${id}" needs "secret" (a string) or "secrets" (strings)`);
  }
  return { cdpApiKey: file.cdpApiKey, sources: file.sources };
}

/**
 * Adds a generated development secret for every source that has none (a source just added to
 * lib/pipeline-config.ts) and writes the file back; returns the ids it added.
 */
export function addMissingSources(
  path: string,
  file: LocalSecretsFile,
  sources: readonly { readonly id: string; readonly provider: ProviderId }[],
): { file: LocalSecretsFile; added: string[] } {
  const added = sources.filter((s) => !file.sources[s.id]);
  if (added.length === 0) return { file, added: [] };
  const next: LocalSecretsFile = {
    ...file,
    sources: {
      ...file.sources,
      ...Object.fromEntries(added.map((s) => [s.id, generateLocalSecret(s.provider)])),
    },
  };
  writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`);
  return { file: next, added: added.map((s) => s.id) };
}

/** The SecretString stored for a source: the secret itself, or `{"secrets": [...]}` for a rotation. */
export function secretStringOf(entry: LocalSourceEntry): string {
  if (entry.secrets && entry.secrets.length > 0) return JSON.stringify({ secrets: entry.secrets });
  return entry.secret ?? '';
}

/** What `send` signs with: the signing key, else the newest secret. */
export function signingKeyOf(entry: LocalSourceEntry): string {
  return entry.signingKey ?? entry.secrets?.[0] ?? entry.secret ?? '';
}

/** Secrets Manager ids used in local mode (names only; values come from the file above). */
export const LOCAL_SECRET_IDS = {
  source: (sourceId: string) => `webhook-pipeline/local/sources/${sourceId}`,
  cdpApiKey: 'webhook-pipeline/local/cdp-api-key',
} as const;

/** Loads the secrets for `send`: the local file when present, else the committed example. */
export function readSecretsForSending(): { path: string; file: LocalSecretsFile } {
  const path = existsSync(SECRETS_LOCAL_PATH) ? SECRETS_LOCAL_PATH : SECRETS_EXAMPLE_PATH;
  return { path, file: readLocalSecrets(path) };
}
