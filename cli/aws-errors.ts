/**
 * Turns the SDK's common failures into one actionable line plus a hint, for an operator at 3 a.m.: no
 * region, no or expired credentials (SSO included), an unknown stack, a queue, table, secret or bucket that
 * is not there, and resources in another account or region than the credentials point at. Anything else
 * keeps the SDK's own message. The full error (stack trace, request id) is shown with `--debug`.
 */
/** What a failed request was about, attached to the error by {@link annotateErrors}. */
export interface RequestContext {
  readonly commandName?: string;
  readonly input?: Readonly<Record<string, unknown>>;
  /** The region the client resolved, when it could resolve one. */
  readonly region?: string;
}

const REQUEST = Symbol.for('webhooks-cli.request');

/** The part of the SDK's middleware stack used here, typed locally (it is the same in every v3 client). */
type Handler = (args: { readonly input?: unknown }) => Promise<unknown>;
interface MiddlewareStack {
  add(
    middleware: (next: Handler, context: { readonly commandName?: string }) => Handler,
    options: { readonly step: 'initialize'; readonly name: string; readonly override: boolean },
  ): void;
}

/**
 * Records on every error a client throws which command, input and region it was, so a "does not exist"
 * can name the queue or table and a wrong region can be told apart from a typo.
 */
export function annotateErrors<C extends { readonly config: unknown; readonly middlewareStack: unknown }>(
  client: C,
): C {
  const config = client.config as { region?: unknown };
  const stack = client.middlewareStack as MiddlewareStack;
  stack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (typeof error === 'object' && error !== null && !(REQUEST in error)) {
          const region =
            typeof config.region === 'function'
              ? await Promise.resolve()
                  .then(() => (config.region as () => Promise<string>)())
                  .catch(() => undefined)
              : undefined;
          const request: RequestContext = {
            ...(context.commandName ? { commandName: context.commandName } : {}),
            ...(typeof args.input === 'object' && args.input !== null
              ? { input: args.input as Record<string, unknown> }
              : {}),
            ...(region ? { region } : {}),
          };
          Object.defineProperty(error, REQUEST, { value: request, enumerable: false });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'webhooksCliErrorContext', override: true },
  );
  return client;
}

/** Adds what the caller knows of a failed request when the client did not record it (e.g. a stubbed client). */
export function withRequestContext(error: unknown, request: RequestContext): unknown {
  if (typeof error === 'object' && error !== null && !(REQUEST in error)) {
    Object.defineProperty(error, REQUEST, { value: request, enumerable: false });
  }
  return error;
}

export function requestContextOf(error: unknown): RequestContext | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as { [REQUEST]?: RequestContext })[REQUEST];
}

/** An error explained: one line saying what is wrong, one saying what to do. */
export interface FriendlyError {
  readonly message: string;
  readonly hint: string;
}

/** What the CLI knows of its AWS configuration, for hints. */
export interface AwsContext {
  /** `--profile`, else `AWS_PROFILE`. */
  readonly profile?: string;
  /** `--region`, else `AWS_REGION`/`AWS_DEFAULT_REGION`. */
  readonly region?: string;
}

/** Account and region named by an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export function queueUrlParts(url: string): { account?: string; region?: string; name?: string } {
  try {
    const parsed = new URL(url);
    const [account, name] = parsed.pathname.split('/').filter(Boolean);
    const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(parsed.hostname)?.[1];
    return {
      ...(account && /^\d{12}$/.test(account) ? { account } : {}),
      ...(region ? { region } : {}),
      ...(name ? { name } : {}),
    };
  } catch {
    return {};
  }
}

const CREDENTIAL_PROVIDER_ERRORS = new Set([
  'CredentialsProviderError',
  'TokenProviderError',
  'ProviderError',
]);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);
const REJECTED = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'IncompleteSignature',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'AuthorizationError']);
const NO_QUEUE = new Set([
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'NonExistentQueue',
]);

function codeOf(error: Error): string {
  const e = error as Error & { Code?: string; code?: string; __type?: string };
  return e.Code ?? e.__type?.split('#').pop() ?? e.name;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The hint for credentials, naming the profile in play. */
function credentialsHint(aws: AwsContext): string {
  return aws.profile
    ? `check profile "${aws.profile}" (for SSO: \`aws sso login --profile ${aws.profile}\`)`
    : 'pass --profile <name> (for SSO, run `aws sso login --profile <name>` first), or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
}

/** Where a queue URL points, compared with where the CLI looks; undefined when nothing is known. */
function queueWhere(url: string | undefined, region: string | undefined, aws: AwsContext): string {
  if (!url) return '';
  const parts = queueUrlParts(url);
  const using = region ?? aws.region;
  if (parts.region && using && parts.region !== using) {
    return ` The URL is in region ${parts.region}, but the CLI is using ${using}: pass --region ${parts.region}.`;
  }
  return parts.account
    ? ` The URL names account ${parts.account}${parts.region ? ` in ${parts.region}` : ''}: the credentials must be for that account.`
    : '';
}

/** Explains an error the operator can fix; undefined leaves it to the generic handler. */
export function explainAwsError(error: unknown, aws: AwsContext): FriendlyError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = codeOf(error);
  const request = requestContextOf(error);
  const input = request?.input ?? {};
  const region = request?.region ?? aws.region;
  const profileFlag = aws.profile ? ` --profile ${aws.profile}` : '';

  if (/Region is missing/i.test(error.message)) {
    return {
      message: 'No AWS region configured.',
      hint: `pass --region <region> (e.g. --region eu-west-1), set AWS_REGION, or set "region" in ${aws.profile ? `profile "${aws.profile}"` : 'your AWS profile'} (~/.aws/config).`,
    };
  }
  if (CREDENTIAL_PROVIDER_ERRORS.has(error.name)) {
    if (/\bSSO\b/i.test(error.message)) {
      const profile = aws.profile ?? 'default';
      return {
        message: `The AWS SSO session of profile "${profile}" has expired or was never started.`,
        hint: `run \`aws sso login --profile ${profile}\`, then try again.`,
      };
    }
    const missingProfile = /profile[: ]+\[?([^\s\]]+)\]? (?:could not be found|in configuration)/i.exec(
      error.message,
    );
    if (
      aws.profile &&
      (missingProfile || /Could not resolve credentials using profile/i.test(error.message))
    ) {
      return {
        message: `Profile "${aws.profile}" gave no credentials (it is missing from ~/.aws/config and ~/.aws/credentials, or incomplete).`,
        hint: 'list profiles with `aws configure list-profiles`, then pass --profile <name> or set AWS_PROFILE.',
      };
    }
    return {
      message: aws.profile
        ? `No AWS credentials found for profile "${aws.profile}".`
        : 'No AWS credentials found.',
      hint: aws.profile
        ? `check that profile "${aws.profile}" exists (\`aws configure list-profiles\`); for SSO, run \`aws sso login --profile ${aws.profile}\`.`
        : `${credentialsHint(aws)}.`,
    };
  }
  if (EXPIRED.has(code) || /security token included in the request is expired/i.test(error.message)) {
    return {
      message: 'The AWS credentials have expired.',
      hint: `refresh them: ${aws.profile ? `\`aws sso login --profile ${aws.profile}\` (SSO) or renew the profile's keys` : 'run `aws sso login --profile <name>` (SSO) or export fresh keys'}.`,
    };
  }
  if (REJECTED.has(code)) {
    return {
      message: `AWS rejected the credentials (${code}).`,
      hint: `${credentialsHint(aws)}; the keys may be deleted, mistyped or for another partition.`,
    };
  }
  const stackName = str(input.StackName);
  if (code === 'ValidationError' && /does not exist/i.test(error.message)) {
    return {
      message: `Stack "${stackName ?? '?'}" does not exist${region ? ` in ${region}` : ''} for these credentials.`,
      hint: `check the name (\`aws cloudformation list-stacks${profileFlag}${region ? ` --region ${region}` : ''}\`); a stack lives in one account and one region: check --region and --profile.`,
    };
  }
  if (NO_QUEUE.has(code) || /NonExistentQueue/.test(error.message)) {
    const url = str(input.QueueUrl);
    return {
      message: `Queue ${url ?? '(unknown URL)'} does not exist${region ? ` in ${region}` : ''} for these credentials.${queueWhere(url, region, aws)}`,
      hint: 'check --stack (or --queue-url/--dlq-url), --region and --profile; a queue deleted with its stack is gone.',
    };
  }
  if (code === 'ResourceNotFoundException') {
    const table = str(input.TableName);
    if (table) {
      return {
        message: `Table ${table} not found${region ? ` in ${region}` : ''} for these credentials.`,
        hint: 'check --stack (or --table), --region and --profile.',
      };
    }
    const secret = str(input.SecretId);
    if (secret) {
      return {
        message: `Secret ${secret} not found${region ? ` in ${region}` : ''} for these credentials.`,
        hint: 'check --stack, --region and --profile; the secret may have been deleted or never created.',
      };
    }
    return {
      message: `Not found${region ? ` in ${region}` : ''}: ${error.message.split('\n')[0]}`,
      hint: 'check --stack (or --table), --region and --profile.',
    };
  }
  if (code === 'NoSuchBucket') {
    return {
      message: `Bucket ${str(input.Bucket) ?? '(unknown)'} does not exist.`,
      hint: 'check --stack, --region and --profile; the bucket may have been deleted with its stack.',
    };
  }
  if (DENIED.has(code)) {
    const url = str(input.QueueUrl);
    return {
      message: `Access denied${request?.commandName ? ` to ${request.commandName.replace(/Command$/, '')}` : ''}: ${error.message.split('\n')[0]}${queueWhere(url, region, aws)}`,
      hint: `check that --profile gives credentials for the account that owns the stack and that its role allows this action.`,
    };
  }
  const cause =
    (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
  if (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || cause === 'EAI_AGAIN') {
    return {
      message: `Cannot reach the AWS endpoint (${cause}).`,
      hint: 'check the network; against local mode, check that `npm start` runs and AWS_ENDPOINT_URL_* point at it.',
    };
  }
  return undefined;
}
