/**
 * Finds the pipeline's queues and table from ONE place: either a deployed stack (`--stack` or
 * `WEBHOOKS_STACK`, every resource from its CloudFormation outputs) or an explicit set (`--queue-url`,
 * `--dlq-url`, `--table`, or their `WEBHOOKS_*` variables; options win over variables). Naming both is
 * refused, so one stack's DLQ can never be paired with another's queue; an explicit queue and DLQ are
 * checked against the queue's redrive policy before anything moves between them. Nothing here knows about
 * local mode: against the emulators the names are passed explicitly and `AWS_ENDPOINT_URL_*` does the rest.
 */
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type Output,
} from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { withRequestContext } from './aws-errors';
import { UsageError } from './format';

/** Stack output keys written by the CDK stack (lib/webhook-pipeline-stack.ts, checked by a unit test). */
export const STACK_OUTPUTS = {
  queueUrl: 'QueueUrl',
  dlqUrl: 'DeadLetterQueueUrl',
  tableName: 'StateTableName',
  bucketName: 'ClaimCheckBucketName',
  webhookBaseUrl: 'WebhookBaseUrl',
  /** Followed by the source id without dashes. */
  webhookUrlPrefix: 'WebhookUrl',
  /** Followed by the source id without dashes. */
  sourceSecretArnPrefix: 'SecretArn',
} as const;

/** Environment variables the CLI reads when no option is given. */
export const CLI_ENV = {
  stack: 'WEBHOOKS_STACK',
  queueUrl: 'WEBHOOKS_QUEUE_URL',
  dlqUrl: 'WEBHOOKS_DLQ_URL',
  tableName: 'WEBHOOKS_TABLE',
} as const;

export interface ResourceOptions {
  readonly stack?: string;
  readonly queueUrl?: string;
  readonly dlqUrl?: string;
  readonly table?: string;
}

export interface Resources {
  /** The stack the resources came from, when they came from one. */
  readonly stack?: { readonly name: string; readonly id?: string; readonly outputs: readonly Output[] };
  readonly queueUrl?: string;
  readonly dlqUrl?: string;
  readonly tableName?: string;
  readonly bucketName?: string;
}

export type ResourceName = Exclude<keyof Resources, 'stack'>;

const HOW_TO_SET: Readonly<Record<ResourceName, string>> = {
  queueUrl: `--queue-url, ${CLI_ENV.queueUrl} or --stack`,
  dlqUrl: `--dlq-url, ${CLI_ENV.dlqUrl} or --stack`,
  tableName: `--table, ${CLI_ENV.tableName} or --stack`,
  bucketName: '--stack',
};

/**
 * Picks an output by key. CDK names an output declared inside a construct `<construct path><Id><8 hex hash>`,
 * so such a key also matches, unless it is a longer known output ending the same way (`DeadLetterQueueUrl…`
 * is not `QueueUrl`).
 */
export function pickOutput(
  outputs: readonly { OutputKey?: string; OutputValue?: string }[],
  key: string,
): string | undefined {
  const exact = outputs.find((o) => o.OutputKey === key);
  if (exact?.OutputValue) return exact.OutputValue;
  const longer = Object.values(STACK_OUTPUTS).filter((k) => k !== key && k.endsWith(key));
  return outputs.find((o) => {
    const stripped = /^([A-Za-z0-9]+)[0-9A-F]{8}$/.exec(o.OutputKey ?? '')?.[1];
    return stripped?.endsWith(key) && !longer.some((k) => stripped.endsWith(k));
  })?.OutputValue;
}

/** Reads the stack's outputs (one DescribeStacks call). */
export async function stackResources(
  cloudFormation: CloudFormationClient,
  stackName: string,
): Promise<Resources> {
  const { Stacks } = await cloudFormation
    .send(new DescribeStacksCommand({ StackName: stackName }))
    .catch((error: unknown) => {
      throw withRequestContext(error, {
        commandName: 'DescribeStacksCommand',
        input: { StackName: stackName },
      });
    });
  const stack = Stacks?.[0];
  const outputs = stack?.Outputs ?? [];
  const queueUrl = pickOutput(outputs, STACK_OUTPUTS.queueUrl);
  const dlqUrl = pickOutput(outputs, STACK_OUTPUTS.dlqUrl);
  const tableName = pickOutput(outputs, STACK_OUTPUTS.tableName);
  const bucketName = pickOutput(outputs, STACK_OUTPUTS.bucketName);
  return {
    stack: { name: stackName, ...(stack?.StackId ? { id: stack.StackId } : {}), outputs },
    ...(queueUrl ? { queueUrl } : {}),
    ...(dlqUrl ? { dlqUrl } : {}),
    ...(tableName ? { tableName } : {}),
    ...(bucketName ? { bucketName } : {}),
  };
}

/**
 * Resolves resources from one stack or one explicit set (see module doc). The stack is described only when
 * it is the source; a stack named together with any explicit resource is a usage error naming both.
 */
export async function resolveResources(
  options: ResourceOptions,
  env: Readonly<Record<string, string | undefined>>,
  describeStack: (stackName: string) => Promise<Resources>,
): Promise<Resources> {
  const pick = (option: string | undefined, flag: string, variable: string) =>
    option !== undefined && option !== ''
      ? { value: option, from: flag }
      : env[variable]
        ? { value: env[variable], from: variable }
        : undefined;
  const queueUrl = pick(options.queueUrl, '--queue-url', CLI_ENV.queueUrl);
  const dlqUrl = pick(options.dlqUrl, '--dlq-url', CLI_ENV.dlqUrl);
  const tableName = pick(options.table, '--table', CLI_ENV.tableName);
  const stack = pick(options.stack, '--stack', CLI_ENV.stack);
  const explicit = [queueUrl, dlqUrl, tableName].filter((p) => p !== undefined);
  if (stack?.value) {
    if (explicit.length) {
      throw new UsageError(
        `${stack.from} ${stack.value} and ${explicit.map((p) => p.from).join(', ')} both name resources: take them all from one stack, or all explicitly (unset the one you do not mean).`,
      );
    }
    return await describeStack(stack.value);
  }
  return {
    ...(queueUrl?.value ? { queueUrl: queueUrl.value } : {}),
    ...(dlqUrl?.value ? { dlqUrl: dlqUrl.value } : {}),
    ...(tableName?.value ? { tableName: tableName.value } : {}),
  };
}

/**
 * Checks that an explicitly named DLQ is the main queue's dead-letter queue (its redrive policy's target),
 * so a redrive cannot move one pipeline's failures into another's queue. Resources from one stack are
 * paired by construction and skip the two calls.
 */
export async function assertPairedQueues(
  sqs: SQSClient,
  resources: Resources,
  queueUrl: string,
  dlqUrl: string,
): Promise<void> {
  if (resources.stack) return;
  const attributes = async (url: string, names: ('RedrivePolicy' | 'QueueArn')[]) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }))).Attributes ??
    {};
  const [main, dlq] = await Promise.all([
    attributes(queueUrl, ['RedrivePolicy']),
    attributes(dlqUrl, ['QueueArn']),
  ]);
  let target: string | undefined;
  try {
    target = (JSON.parse(main.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string }).deadLetterTargetArn;
  } catch {
    target = undefined;
  }
  if (!target || target !== dlq.QueueArn) {
    throw new UsageError(
      `${dlqUrl} is not the dead-letter queue of ${queueUrl} (its redrive policy targets ${target ?? 'no queue'}): pass the queue and DLQ of one pipeline, or --stack.`,
    );
  }
}

/** Returns the named resource or fails with how to provide it. */
export function requireResource(resources: Resources, name: ResourceName): string {
  const value = resources[name];
  if (!value) throw new UsageError(`No ${name} known: pass ${HOW_TO_SET[name]}`);
  return value;
}
