import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** A source's secret: referenced when `existingSecretArn` is set, created otherwise. */
export interface SourceSecretSpec {
  readonly sourceId: string;
  /** ARN of an existing secret. @default - the construct creates one */
  readonly existingSecretArn?: string;
}

export interface PipelineSecretsProps {
  readonly sources: readonly SourceSecretSpec[];
  /** ARN of an existing secret holding the CDP API key. @default - the construct creates one */
  readonly existingCdpApiKeySecretArn?: string;
  /** What happens to created secrets when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

const SIX_CHAR_SUFFIX = /-[A-Za-z0-9]{6}$/;

function reference(scope: Construct, id: string, arn: string): secretsmanager.ISecret {
  // A complete ARN ends in the 6-character suffix Secrets Manager adds; grants then need no wildcard.
  return SIX_CHAR_SUFFIX.test(arn)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, arn)
    : secretsmanager.Secret.fromSecretPartialArn(scope, id, arn);
}

/**
 * One Secrets Manager secret per source and one for the CDP API key. A created source secret starts with a
 * random value as `{"secret":"…"}` (usable as-is by schemes where we choose the secret, e.g. GitHub);
 * for providers that issue their own, put theirs as `{"secrets":["current"]}` before registering the URL.
 */
export class PipelineSecrets extends Construct {
  /** Source id → its secret. */
  public readonly sourceSecrets: ReadonlyMap<string, secretsmanager.ISecret>;
  public readonly cdpApiKey: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: PipelineSecretsProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const secrets = new Map<string, secretsmanager.ISecret>();
    for (const source of props.sources) {
      if (secrets.has(source.sourceId)) throw new Error(`${id}: source ${source.sourceId} is declared twice`);
      const constructId = `Source-${source.sourceId}`;
      secrets.set(
        source.sourceId,
        source.existingSecretArn !== undefined
          ? reference(this, constructId, source.existingSecretArn)
          : new secretsmanager.Secret(this, constructId, {
              description: `Webhook signing secret(s) of source ${source.sourceId}: {"secrets":["newest","older"]}`,
              generateSecretString: {
                secretStringTemplate: '{}',
                generateStringKey: 'secret',
                excludePunctuation: true,
                passwordLength: 48,
              },
              removalPolicy,
            }),
      );
    }
    this.sourceSecrets = secrets;
    this.cdpApiKey =
      props.existingCdpApiKeySecretArn !== undefined
        ? reference(this, 'CdpApiKey', props.existingCdpApiKeySecretArn)
        : new secretsmanager.Secret(this, 'CdpApiKey', {
            description: 'CDP records API key: {"apiKey":"..."}',
            removalPolicy,
          });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Webhook signing secrets and the CDP key are issued by third parties; rotation is a manual, zero-downtime procedure (README, Rotate a secret), not a Lambda rotation.',
    });
  }

  /** Every source secret, in declaration order. */
  get allSourceSecrets(): secretsmanager.ISecret[] {
    return [...this.sourceSecrets.values()];
  }
}
