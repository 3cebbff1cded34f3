/**
 * Finds the pipeline's queues and table: explicit options first, then `WEBHOOKS_*` environment variables,
 * then the deployed stack's CloudFormation outputs. Nothing here knows about local mode: against the
 * emulators the same URLs/names are passed explicitly and the SDK's `AWS_ENDPOINT_URL_*` does the rest.
 */
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { UsageError } from './format';

/** Stack output keys written by the CDK stack. */
export const STACK_OUTPUTS = {
  queueUrl: 'QueueUrl',
  dlqUrl: 'DeadLetterQueueUrl',
  tableName: 'StateTableName',
  bucketName: 'ClaimCheckBucketName',
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
  readonly queueUrl?: string;
  readonly dlqUrl?: string;
  readonly tableName?: string;
  readonly bucketName?: string;
}

export type ResourceName = keyof Resources;

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
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Stacks?.[0]?.Outputs ?? [];
  const queueUrl = pickOutput(outputs, STACK_OUTPUTS.queueUrl);
  const dlqUrl = pickOutput(outputs, STACK_OUTPUTS.dlqUrl);
  const tableName = pickOutput(outputs, STACK_OUTPUTS.tableName);
  const bucketName = pickOutput(outputs, STACK_OUTPUTS.bucketName);
  return {
    ...(queueUrl ? { queueUrl } : {}),
    ...(dlqUrl ? { dlqUrl } : {}),
    ...(tableName ? { tableName } : {}),
    ...(bucketName ? { bucketName } : {}),
  };
}

/**
 * Resolves resources: options beat environment variables, which beat stack outputs. The stack is only
 * described when something is still missing.
 */
export async function resolveResources(
  options: ResourceOptions,
  env: Readonly<Record<string, string | undefined>>,
  describeStack: (stackName: string) => Promise<Resources>,
): Promise<Resources> {
  const explicit: Resources = {
    ...((options.queueUrl ?? env[CLI_ENV.queueUrl])
      ? { queueUrl: options.queueUrl ?? env[CLI_ENV.queueUrl] }
      : {}),
    ...((options.dlqUrl ?? env[CLI_ENV.dlqUrl]) ? { dlqUrl: options.dlqUrl ?? env[CLI_ENV.dlqUrl] } : {}),
    ...((options.table ?? env[CLI_ENV.tableName])
      ? { tableName: options.table ?? env[CLI_ENV.tableName] }
      : {}),
  };
  const stackName = options.stack ?? env[CLI_ENV.stack];
  if (!stackName) return explicit;
  const fromStack = await describeStack(stackName);
  return { ...fromStack, ...explicit };
}

/** Returns the named resource or fails with how to provide it. */
export function requireResource(resources: Resources, name: ResourceName): string {
  const value = resources[name];
  if (!value) throw new UsageError(`No ${name} known: pass ${HOW_TO_SET[name]}`);
  return value;
}
