/**
 * `webhooks send`: the smoke test after a deploy. Signs one sample delivery of a source (the fixtures and
 * signers local mode uses, local/send-webhooks.ts) with the source's current secret from Secrets Manager,
 * posts it to the source's deployed URL, and follows the event to its dedupe record.
 *
 * Where the source's provider, URL and secret come from: with `--stack`, from the stack (outputs, and the
 * `PIPELINE_SOURCES` the template hands the functions); otherwise from an explicit set (`--url`,
 * `--secret-id`, `--provider`), never a mix, as for every other resource.
 */
import {
  type CloudFormationClient,
  DescribeStackResourceCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ProviderId } from '../lambdas/providers/types';
import { ENV } from '../lambdas/shared/schema';
import { parseSecretString } from '../lambdas/shared/secrets';
import { renderFixture } from '../local/fixtures';
import { loadSample, type SignedDelivery, signDeliveryTo } from '../local/send-webhooks';
import { SIGNERS } from '../local/signers';
import { UsageError } from './format';
import { pickOutput, type Resources, STACK_OUTPUTS } from './resources';

/** Where one source's sample goes and what signs it. */
export interface SendTarget {
  readonly sourceId: string;
  readonly provider: ProviderId;
  /** The exact URL the provider calls (and URL-bound schemes sign). */
  readonly url: string;
  /** Secrets Manager id or ARN of the source's secret. */
  readonly secretId: string;
}

export interface ExplicitTarget {
  readonly url?: string;
  readonly secretId?: string;
  readonly provider?: string;
}

/** A `PIPELINE_SOURCES` entry as read back from a template; `secretRef` is the secret's logical id. */
export interface TemplateSource {
  readonly id: string;
  readonly provider: ProviderId;
  readonly publicUrl?: string;
  /** The literal secret id, when the template holds one (an existing secret's ARN). */
  readonly secretId?: string;
  /** The logical id of the secret resource, when the template refers to it. */
  readonly secretRef?: string;
}

const TOKEN = '@@WEBHOOKS_CLI_TOKEN_';

/**
 * Reads the sources back from a template: the `PIPELINE_SOURCES` variable of a Lambda function, a string or
 * an `Fn::Join` whose non-string parts (secret ARNs as `Ref`s) stand inside JSON strings.
 */
export function sourcesFromTemplate(templateBody: string): TemplateSource[] {
  const template = JSON.parse(templateBody) as {
    Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
  };
  const functions = Object.entries(template.Resources ?? {}).filter(
    ([, r]) => r.Type === 'AWS::Lambda::Function',
  );
  // The ingest function first: it is the one that verifies with these secrets.
  functions.sort(([a], [b]) => Number(b.startsWith('Ingest')) - Number(a.startsWith('Ingest')));
  for (const [, resource] of functions) {
    const env = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    const value = env?.[ENV.sources];
    if (value === undefined) continue;
    const refs: string[] = [];
    let json: string | undefined;
    if (typeof value === 'string') json = value;
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join && Array.isArray(join[1])) {
      json = join[1]
        .map((part) => {
          if (typeof part === 'string') return part;
          const ref = (part as { Ref?: unknown }).Ref;
          refs.push(typeof ref === 'string' ? ref : '');
          return `${TOKEN}${refs.length - 1}`;
        })
        .join(join[0]);
    }
    if (json === undefined) continue;
    const parsed = JSON.parse(json) as {
      id: string;
      provider: ProviderId;
      publicUrl?: string;
      secretId: string;
    }[];
    return parsed.map((s) => {
      const token = new RegExp(`^${TOKEN}(\\d+)$`).exec(s.secretId);
      const ref = token ? refs[Number(token[1])] : undefined;
      return {
        id: s.id,
        provider: s.provider,
        ...(s.publicUrl && !s.publicUrl.includes(TOKEN) ? { publicUrl: s.publicUrl } : {}),
        ...(token ? (ref ? { secretRef: ref } : {}) : { secretId: s.secretId }),
      };
    });
  }
  return [];
}

/** CloudFormation output ids allow only letters and digits (as lib/webhook-pipeline-stack.ts names them). */
export function outputKeyFor(prefix: string, sourceId: string): string {
  return `${prefix}${sourceId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** The source's target from the stack the resources came from. */
export async function targetFromStack(
  cloudFormation: CloudFormationClient,
  resources: Resources,
  sourceArg: string,
): Promise<SendTarget> {
  const stack = resources.stack;
  if (!stack) throw new UsageError('send needs --stack, or --url with --secret-id');
  const { TemplateBody } = await cloudFormation.send(
    new GetTemplateCommand({ StackName: stack.id ?? stack.name, TemplateStage: 'Processed' }),
  );
  let sources: TemplateSource[] = [];
  try {
    sources = TemplateBody ? sourcesFromTemplate(TemplateBody) : [];
  } catch {
    // A template submitted as YAML, or a variable that is not the pipeline's JSON: fall through.
    sources = [];
  }
  if (!sources.length) {
    throw new UsageError(
      `Stack ${stack.name} has no function with ${ENV.sources}: pass --url, --secret-id and --provider instead of --stack.`,
    );
  }
  const source = sources.find((s) => s.id === sourceArg) ?? sources.find((s) => s.provider === sourceArg);
  if (!source) {
    throw new UsageError(
      `Stack ${stack.name} has no source "${sourceArg}". Its sources: ${sources.map((s) => s.id).join(', ')}`,
    );
  }
  const outputs = stack.outputs;
  const base = pickOutput(outputs, STACK_OUTPUTS.webhookBaseUrl);
  const url =
    source.publicUrl ??
    outputs.find((o) => o.OutputKey === outputKeyFor(STACK_OUTPUTS.webhookUrlPrefix, source.id))
      ?.OutputValue ??
    (base ? `${base.replace(/\/+$/, '')}/webhooks/${source.id}` : undefined);
  if (!url) {
    throw new UsageError(
      `Stack ${stack.name} has no webhook URL output for ${source.id}: pass --url instead.`,
    );
  }
  let secretId =
    outputs.find((o) => o.OutputKey === outputKeyFor(STACK_OUTPUTS.sourceSecretArnPrefix, source.id))
      ?.OutputValue ?? source.secretId;
  if (!secretId && source.secretRef) {
    const { StackResourceDetail } = await cloudFormation.send(
      new DescribeStackResourceCommand({
        StackName: stack.id ?? stack.name,
        LogicalResourceId: source.secretRef,
      }),
    );
    secretId = StackResourceDetail?.PhysicalResourceId;
  }
  if (!secretId) throw new UsageError(`Cannot find the secret of source ${source.id} in stack ${stack.name}`);
  return { sourceId: source.id, provider: source.provider, url, secretId };
}

/** The source's target from explicit options; the provider defaults to the source id when it names one. */
export function explicitTarget(sourceArg: string, explicit: ExplicitTarget): SendTarget {
  const missing = [
    explicit.url ? undefined : '--url <the source webhook URL>',
    explicit.secretId ? undefined : '--secret-id <its Secrets Manager secret>',
  ].filter((m): m is string => m !== undefined);
  if (missing.length) throw new UsageError(`send needs --stack, or ${missing.join(' and ')}`);
  const provider = explicit.provider ?? sourceArg;
  if (!(provider in SIGNERS)) {
    throw new UsageError(
      explicit.provider
        ? `send cannot sign ${provider} deliveries (it signs: ${Object.keys(SIGNERS).join(', ')})`
        : `Source "${sourceArg}" is not a provider name: pass --provider <provider>`,
    );
  }
  return {
    sourceId: sourceArg,
    provider: provider as ProviderId,
    url: explicit.url ?? '',
    secretId: explicit.secretId ?? '',
  };
}

/** Providers whose Secrets Manager value is a public key: only the provider holds what signs. */
const PUBLIC_KEY_PROVIDERS: ReadonlySet<ProviderId> = new Set<ProviderId>(['sendgrid', 'discord']);

/** Signs the sample with the newest active secret of the source. */
export async function signSample(
  secretsManager: SecretsManagerClient,
  target: SendTarget,
  event: string | undefined,
  nowMs = Date.now(),
): Promise<{ event: string; delivery: SignedDelivery }> {
  if (PUBLIC_KEY_PROVIDERS.has(target.provider)) {
    throw new UsageError(
      `Source ${target.sourceId} (${target.provider}) verifies with the provider's public key; only ${target.provider} holds the private key that signs, so send cannot sign for it. Use the provider's "send test event" instead.`,
    );
  }
  if (!SIGNERS[target.provider]) throw new UsageError(`send cannot sign ${target.provider} deliveries`);
  const fixture = loadSample(target.provider, event);
  const { SecretString } = await secretsManager.send(
    new GetSecretValueCommand({ SecretId: target.secretId }),
  );
  const signingKey = parseSecretString(SecretString ?? '')[0];
  if (!signingKey) {
    throw new UsageError(
      `Secret ${target.secretId} holds no usable value: put the provider's signing secret first (README, Put the secrets).`,
    );
  }
  return {
    event: fixture.name,
    delivery: signDeliveryTo(target.provider, target.url, renderFixture(fixture, nowMs), signingKey, nowMs),
  };
}

/** The dedupe keys a 2xx receipt names (`{"received":n,"eventIds":[…]}`). */
export function receiptEventIds(responseBody: string): { eventIds: string[]; deadLettered: boolean } {
  try {
    const receipt = JSON.parse(responseBody) as { eventIds?: unknown; deadLettered?: unknown };
    const eventIds = Array.isArray(receipt.eventIds)
      ? receipt.eventIds.filter((id): id is string => typeof id === 'string')
      : [];
    return { eventIds, deadLettered: receipt.deadLettered === true };
  } catch {
    return { eventIds: [], deadLettered: false };
  }
}
