/**
 * "Deploys" the template's data resources into the emulators, from the template's own properties: SQS
 * queues (every queue attribute the template sets, the redrive policy with its resolved DLQ ARN and
 * `maxReceiveCount`), DynamoDB tables (key schema, attribute definitions, billing mode, indexes, TTL
 * attribute), S3 buckets (lifecycle rules where the emulator takes them) and Secrets Manager secrets
 * (generated the way `GenerateSecretString` declares). Every other resource gets a name and ARN so that
 * `Ref` and `Fn::GetAtt` resolve; the functions' calls to those fail in the proxy as unsupported.
 */
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ArnDirectory } from './aws-proxy';
import {
  type CfnTemplate,
  type Json,
  logicalIdOf,
  props,
  type ResolvedResource,
  Resolver,
  resourcesOfType,
  TemplateError,
} from './template';

export interface LocalStack {
  readonly resources: Map<string, ResolvedResource>;
  readonly resolver: Resolver;
  readonly directory: ArnDirectory;
  /** Secret ARN → the value stored (JSON text), for signing and for the CDP stand-in. */
  readonly secretValues: Map<string, string>;
  /** Settings the emulators could not take, reported (never silently dropped). */
  readonly notes: string[];
  readonly region: string;
  readonly accountId: string;
}

export interface Clients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly secrets: SecretsManagerClient;
}

/** SQS attribute names CloudFormation's `AWS::SQS::Queue` properties map to one to one. */
const QUEUE_ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'MaximumMessageSize',
  'ReceiveMessageWaitTimeSeconds',
  'FifoQueue',
  'ContentBasedDeduplication',
];

function generatedSecret(spec: Record<string, Json>): string {
  const length = Number(spec.PasswordLength ?? 32);
  const punctuation = spec.ExcludePunctuation !== true;
  const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${punctuation ? '!#$%&()*+,-.:;<=>?@[]^_{|}~' : ''}`;
  const bytes = randomBytes(length);
  let value = '';
  for (const b of bytes) value += alphabet[b % alphabet.length];
  if (typeof spec.GenerateStringKey === 'string') {
    const template = JSON.parse(String(spec.SecretStringTemplate ?? '{}')) as Record<string, unknown>;
    return JSON.stringify({ ...template, [spec.GenerateStringKey]: value });
  }
  return value;
}

/** Queues in an order where every dead-letter target exists before the queues that use it. */
function queueOrder(template: CfnTemplate): string[] {
  const queues = resourcesOfType(template, 'AWS::SQS::Queue').map(([id]) => id);
  const deps = new Map(
    queues.map((id) => {
      const redrive = props(template.Resources[id] as never).RedrivePolicy as
        | Record<string, Json>
        | undefined;
      return [id, logicalIdOf(redrive?.deadLetterTargetArn)];
    }),
  );
  const ordered: string[] = [];
  const visit = (id: string) => {
    if (ordered.includes(id)) return;
    const dep = deps.get(id);
    if (dep && dep !== id) visit(dep);
    ordered.push(id);
  };
  for (const id of queues) visit(id);
  return ordered;
}

export async function deployLocalStack(
  template: CfnTemplate,
  clients: Clients,
  options: { prefix: string; region: string; accountId: string; stackName: string },
): Promise<LocalStack> {
  const { prefix, region, accountId } = options;
  const resources = new Map<string, ResolvedResource>();
  const resolver = new Resolver(template, resources, { region, accountId, stackName: options.stackName });
  const notes: string[] = [];
  const secretValues = new Map<string, string>();
  const owners = new Map<string, string>();
  const queueByName = new Map<string, string>();
  const tableByName = new Map<string, string>();
  const bucketByName = new Map<string, string>();
  const secretById = new Map<string, string>();

  for (const id of queueOrder(template)) {
    const p = props(template.Resources[id] as never);
    const name = `${prefix}-${id}`.slice(0, 80);
    const attributes: Record<string, string> = {};
    for (const key of QUEUE_ATTRIBUTES) {
      if (p[key] !== undefined) attributes[key] = resolver.string(p[key], `${id}.${key}`);
    }
    if (p.RedrivePolicy !== undefined) {
      attributes.RedrivePolicy = JSON.stringify(resolver.value(p.RedrivePolicy, `${id}.RedrivePolicy`));
    }
    if (p.KmsMasterKeyId !== undefined) {
      notes.push(
        `${id}: KmsMasterKeyId set; the implicit kms:GenerateDataKey/Decrypt permissions are not checked`,
      );
    }
    const created = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    const url = created.QueueUrl ?? '';
    const got = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    for (const [key, value] of Object.entries(attributes)) {
      const actual = (got.Attributes as Record<string, string> | undefined)?.[key];
      const same =
        key === 'RedrivePolicy'
          ? actual && JSON.stringify(JSON.parse(actual)) === JSON.stringify(JSON.parse(value))
          : actual === value;
      if (!same) notes.push(`${id}: the emulator reports ${key}=${actual} for ${value}`);
    }
    const arn = got.Attributes?.QueueArn ?? `arn:aws:sqs:${region}:${accountId}:${name}`;
    resources.set(id, { ref: url, attributes: { Arn: arn, QueueName: name, QueueUrl: url } });
    owners.set(arn, id);
    queueByName.set(name, arn);
  }

  for (const [id, r] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const p = props(r);
    const name = `${prefix}-${id}`;
    const strip = (indexes: Json | undefined) =>
      (indexes as Record<string, Json>[] | undefined)?.map(
        ({ ContributorInsightsSpecification: _c, ...rest }) => rest,
      );
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: p.KeySchema as never,
        AttributeDefinitions: p.AttributeDefinitions as never,
        BillingMode: (p.BillingMode as never) ?? 'PROVISIONED',
        ...(p.ProvisionedThroughput ? { ProvisionedThroughput: p.ProvisionedThroughput as never } : {}),
        ...(p.GlobalSecondaryIndexes
          ? { GlobalSecondaryIndexes: strip(p.GlobalSecondaryIndexes) as never }
          : {}),
        ...(p.LocalSecondaryIndexes ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes as never } : {}),
      }),
    );
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    if (ttl?.AttributeName) {
      await clients.dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: ttl.Enabled ?? false },
        }),
      );
    }
    const arn = `arn:aws:dynamodb:${region}:${accountId}:table/${name}`;
    resources.set(id, { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/local` } });
    owners.set(arn, id);
    tableByName.set(name, arn);
  }

  for (const [id, r] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    const p = props(r);
    const name = `${prefix}-${id}`.toLowerCase().slice(0, 63);
    await clients.s3.send(new CreateBucketCommand({ Bucket: name }));
    const lifecycle = p.LifecycleConfiguration as { Rules?: Record<string, Json>[] } | undefined;
    if (lifecycle?.Rules?.length) {
      try {
        await clients.s3.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: name,
            LifecycleConfiguration: {
              Rules: lifecycle.Rules.map((rule) => ({
                ID: rule.Id as string,
                Status: rule.Status as 'Enabled',
                Filter: { Prefix: (rule.Prefix as string) ?? '' },
                ...(rule.ExpirationInDays ? { Expiration: { Days: Number(rule.ExpirationInDays) } } : {}),
                ...(rule.AbortIncompleteMultipartUpload
                  ? {
                      AbortIncompleteMultipartUpload: {
                        DaysAfterInitiation: Number(
                          (rule.AbortIncompleteMultipartUpload as Record<string, Json>).DaysAfterInitiation,
                        ),
                      },
                    }
                  : {}),
              })),
            },
          }),
        );
      } catch (error) {
        notes.push(
          `${id}: lifecycle rules not applied by the emulator (${(error as Error).name}); a run this short never reaches them`,
        );
      }
    }
    const arn = `arn:aws:s3:::${name}`;
    resources.set(id, {
      ref: name,
      attributes: {
        Arn: arn,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
      },
    });
    owners.set(arn, id);
    bucketByName.set(name, arn);
  }

  for (const [id, r] of resourcesOfType(template, 'AWS::SecretsManager::Secret')) {
    const p = props(r);
    // Secrets Manager appends a 6-character suffix to every secret's ARN.
    const name = `${prefix}-${id}-${randomBytes(3).toString('hex')}`;
    const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}`;
    const value =
      typeof p.SecretString === 'string'
        ? p.SecretString
        : generatedSecret((p.GenerateSecretString as Record<string, Json> | undefined) ?? {});
    await clients.secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    resources.set(id, { ref: arn, attributes: { Id: arn } });
    secretValues.set(arn, value);
    owners.set(arn, id);
    secretById.set(name, arn);
    secretById.set(arn, arn);
  }

  // Everything else: a name and an ARN so references resolve.
  for (const [id, r] of Object.entries(template.Resources)) {
    if (resources.has(id)) continue;
    const service = r.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
    const name = `${prefix}-${id}`;
    const base = `arn:aws:${service}:${region}:${accountId}`;
    switch (r.Type) {
      case 'AWS::IAM::Role':
        resources.set(id, {
          ref: name,
          attributes: { Arn: `arn:aws:iam::${accountId}:role/${name}`, RoleId: name },
        });
        break;
      case 'AWS::Lambda::Function':
        resources.set(id, { ref: name, attributes: { Arn: `${base}:function:${name}` } });
        break;
      case 'AWS::Logs::LogGroup': {
        const groupName =
          typeof props(r).LogGroupName === 'string' ? String(props(r).LogGroupName) : `/aws/lambda/${name}`;
        resources.set(id, { ref: groupName, attributes: { Arn: `${base}:log-group:${groupName}:*` } });
        break;
      }
      case 'AWS::SNS::Topic':
        resources.set(id, {
          ref: `arn:aws:sns:${region}:${accountId}:${name}`,
          attributes: { TopicArn: `arn:aws:sns:${region}:${accountId}:${name}`, TopicName: name },
        });
        break;
      case 'AWS::ApiGatewayV2::Api':
      case 'AWS::ApiGateway::RestApi': {
        const apiId = randomBytes(5).toString('hex');
        resources.set(id, {
          ref: apiId,
          attributes: {
            ApiId: apiId,
            ApiEndpoint: `https://${apiId}.execute-api.${region}.amazonaws.com`,
            RootResourceId: 'root',
          },
        });
        break;
      }
      case 'AWS::Lambda::Url': {
        // A Function URL's id is 32 lower-case characters; the URL always ends in '/'.
        const urlId = randomBytes(16).toString('hex');
        const functionUrl = `https://${urlId}.lambda-url.${region}.on.aws/`;
        resources.set(id, { ref: functionUrl, attributes: { FunctionUrl: functionUrl } });
        break;
      }
      case 'AWS::ApiGateway::Stage':
      case 'AWS::ApiGatewayV2::Stage':
        // A stage's Ref is its name, which is part of the public URL.
        resources.set(id, { ref: String(props(r).StageName ?? name), attributes: {} });
        break;
      default:
        resources.set(id, {
          ref: name,
          attributes: { Arn: `${base}:${id}`, Id: name, Name: name },
        });
    }
  }

  const last = (urlOrName: string) => urlOrName.replace(/\/+$/, '').split('/').pop() ?? urlOrName;
  const directory: ArnDirectory = {
    queueArn: (urlOrName) => queueByName.get(last(urlOrName)),
    tableArn: (name) => tableByName.get(name) ?? (name.startsWith('arn:') ? name : undefined),
    bucketArn: (name) => bucketByName.get(name),
    secretArn: (idOrArn) =>
      secretById.get(idOrArn) ??
      [...secretById.values()].find(
        (arn) => arn.startsWith(`${idOrArn}-`) || arn.includes(`:secret:${idOrArn}-`),
      ),
    ownerOf: (arn) => {
      if (owners.has(arn)) return owners.get(arn);
      if (arn.startsWith('arn:aws:s3:::')) return owners.get(arn.split('/')[0] ?? arn);
      const table = /^(arn:aws:dynamodb:[^:]+:[^:]+:table\/[^/]+)/.exec(arn)?.[1];
      return table ? owners.get(table) : undefined;
    },
  };
  if (resources.size === 0) throw new TemplateError('The template has no resources');
  return { resources, resolver, directory, secretValues, notes, region, accountId };
}
