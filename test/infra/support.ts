/**
 * Shared helpers of the infrastructure tests: synthesizing the stack (optionally without bundling, which
 * is slow and covered once by the cdk-nag test) and reading IAM policies per function.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { AppProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/app';
import type { PipelineConfig } from '../../lib/config';
import type { WebhookPipelineStack } from '../../lib/webhook-pipeline-stack';

/**
 * Every JavaScript file of a function's bundle folder (code splitting: the entry `index.mjs` and its
 * chunks), relative to the folder, sorted.
 */
export function bundleCodeFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.mjs'))
    .sort();
}

export const EXISTING_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:github-main-AbCdEf';

/** Two sources: one with a created secret and a silence alarm, one referencing an existing secret. */
export const TEST_CONFIG: PipelineConfig = {
  cdp: { baseUrl: 'https://api.example-cdp.com/public/v1' },
  sources: [
    { id: 'stripe', provider: 'stripe', dedupeTtlHours: 96, expectEventsWithinMinutes: 60 },
    { id: 'github-main', provider: 'github', existingSecretArn: EXISTING_SECRET_ARN },
  ],
  alarms: { email: 'oncall@example.com' },
};

/**
 * The context of cdk.json (feature flags): what `cdk synth|deploy` passes to the app. Tests synthesize
 * with it, so the templates they check are the ones that deploy, flags included.
 */
export const CDK_JSON_CONTEXT: Record<string, unknown> = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** App props with the cdk.json context; `bundle: false` skips esbuild. */
export function testAppProps(
  options: { bundle?: boolean; context?: Record<string, unknown> } = {},
): AppProps {
  return {
    context: {
      ...CDK_JSON_CONTEXT,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  };
}

export interface Synthesized {
  readonly stack: WebhookPipelineStack;
  readonly template: Template;
}

/** Synthesizes the app; `bundle: false` skips esbuild (asset contents are irrelevant to the template). */
export function synthesize(config: PipelineConfig, options: { bundle?: boolean } = {}): Synthesized {
  const { stack } = createApp({ config, appProps: testAppProps(options) });
  return { stack, template: Template.fromStack(stack) };
}

interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every IAM statement of the policies attached to roles whose logical id starts with `rolePrefix`. */
export function statementsOfRole(template: Template, rolePrefix: string): PolicyStatementJson[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const statements: PolicyStatementJson[] = [];
  for (const policy of Object.values(policies)) {
    const props = policy.Properties as {
      Roles: { Ref: string }[];
      PolicyDocument: { Statement: PolicyStatementJson[] };
    };
    if (props.Roles.some((r) => r.Ref.startsWith(rolePrefix)))
      statements.push(...props.PolicyDocument.Statement);
  }
  for (const [logicalId, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    if (!logicalId.startsWith(rolePrefix)) continue;
    const inline = (
      role.Properties as { Policies?: { PolicyDocument: { Statement: PolicyStatementJson[] } }[] }
    ).Policies;
    for (const p of inline ?? []) statements.push(...p.PolicyDocument.Statement);
  }
  return statements;
}

/** The actions of a list of statements, flattened. */
export function actionsOf(statements: readonly PolicyStatementJson[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** The statements granting `action`. */
export function statementsFor(
  statements: readonly PolicyStatementJson[],
  action: string,
): PolicyStatementJson[] {
  return statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action));
}

/** Logical id of the only resource of `type` whose logical id starts with `prefix`. */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`Expected one ${type} starting with ${prefix}, found ${ids.join(', ')}`);
  return ids[0] as string;
}
