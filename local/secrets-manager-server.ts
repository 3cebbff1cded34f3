/**
 * A tiny Secrets Manager stand-in on loopback (AWS JSON 1.1 protocol: CreateSecret, PutSecretValue,
 * GetSecretValue), so the real `@aws-sdk/client-secrets-manager` code path runs locally through
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`. fauxqs does not emulate Secrets Manager.
 *
 * It can also have an outage ({@link LocalSecretsManager.setFault}), for tests and chaos runs of what the
 * functions do when Secrets Manager fails or hangs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `none`: normal service. `error`: every GetSecretValue is answered 500 InternalServiceError (the SDK
 * retries it). `hang`: GetSecretValue requests are held unanswered until the fault changes (the client's
 * request timeout is what ends them), like a regional endpoint that accepts connections and never replies.
 */
export type SecretsManagerFault = 'none' | 'error' | 'hang';

export interface LocalSecretsManager {
  readonly endpoint: string;
  /** Sets (or replaces) a secret's value. */
  put(secretId: string, value: string): void;
  /** Starts or ends an outage of GetSecretValue. Held requests are answered 500 when a `hang` ends. */
  setFault(fault: SecretsManagerFault): void;
  /** GetSecretValue requests received so far (each SDK attempt counts), answered or not. */
  readonly getSecretValueCalls: number;
  /** GetSecretValue requests currently held by a `hang`. */
  readonly heldCalls: number;
  stop(): Promise<void>;
}

const ACCOUNT = '000000000000';

export async function startLocalSecretsManager(
  initial: Readonly<Record<string, string>> = {},
  port = 0,
): Promise<LocalSecretsManager> {
  const secrets = new Map<string, { value: string; versionId: string }>();
  const put = (id: string, value: string) => secrets.set(id, { value, versionId: randomUUID() });
  for (const [id, value] of Object.entries(initial)) put(id, value);

  let fault: SecretsManagerFault = 'none';
  let getSecretValueCalls = 0;
  const held: (() => void)[] = [];
  const releaseHeld = () => {
    for (const release of held.splice(0)) release();
  };

  const arnOf = (id: string) =>
    id.startsWith('arn:') ? id : `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${id}`;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').replace('secretsmanager.', '');
      let input: { SecretId?: string; Name?: string; SecretString?: string } = {};
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        // fall through to the error below
      }
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const id = input.SecretId ?? input.Name ?? '';
      if (target === 'GetSecretValue') {
        getSecretValueCalls++;
        const unavailable = () =>
          reply(500, { __type: 'InternalServiceError', message: 'Secrets Manager stand-in outage' });
        if (fault === 'error') return unavailable();
        if (fault === 'hang') {
          held.push(unavailable);
          return;
        }
        const found = secrets.get(id) ?? secrets.get(id.split(':secret:')[1] ?? '');
        if (!found) {
          return reply(400, {
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          });
        }
        return reply(200, {
          ARN: arnOf(id),
          Name: id,
          SecretString: found.value,
          VersionId: found.versionId,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Date.now() / 1000,
        });
      }
      if (
        (target === 'CreateSecret' || target === 'PutSecretValue') &&
        id &&
        input.SecretString !== undefined
      ) {
        put(id, input.SecretString);
        return reply(200, { ARN: arnOf(id), Name: id, VersionId: secrets.get(id)?.versionId });
      }
      return reply(400, { __type: 'InvalidRequestException', message: `Unsupported operation ${target}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    put,
    setFault(next) {
      fault = next;
      if (next !== 'hang') releaseHeld();
    },
    get getSecretValueCalls() {
      return getSecretValueCalls;
    },
    get heldCalls() {
      return held.length;
    },
    stop: () => {
      releaseHeld();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
