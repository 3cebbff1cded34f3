/**
 * verify:deployment's core: takes a synthesized stack (template + cdk.out assets), stands its data
 * resources up in the emulators from the template's own properties, runs every function's bundle in its
 * own Node process on the declared runtime with the template's environment, puts an IAM-enforcing proxy
 * between each function and AWS, wires API Gateway and the SQS event source mapping as declared, plays the
 * scenarios and judges the template's alarms against what the bundles emitted.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { parseSecretString } from '../../lambdas/shared/secrets';
import type { SourceDefinition } from '../../lib/config';
import { type CdpStandIn, startCdpStandIn } from '../../local/cdp-stand-in';
import { LOCAL_REGION } from '../../local/emulators';
import { fixtureNames, loadFixture, renderFixture } from '../../local/fixtures';
import { signDelivery } from '../../local/send-webhooks';
import { generateLocalSecret, SIGNERS } from '../../local/signers';
import { type SqsPoller, startSqsPoller } from '../../local/sqs-poller';
import { type AlarmResult, evaluateAlarms, MetricStore } from './alarms';
import { type Arm64Launcher, arm64Launcher } from './arm64';
import {
  type AwsProxy,
  type CallRecord,
  type Fault,
  type Service,
  startAwsProxy,
  startUnsupportedEndpoint,
} from './aws-proxy';
import { onCallCliCommand } from './cli';
import { startCloudFormationStandIn } from './cloudformation';
import { type FrontDoor, type Route, routesOf, startFrontDoor } from './front-door';
import { grantedActions, wildcardMatch } from './iam';
import { FunctionRuntime, type InvokeResult, nodeBinaryFor } from './lambda-runtime';
import { deployLocalStack, type LocalStack } from './local-stack';
import { metricFiltersOf } from './metric-filters';
import { type FunctionArtifact, functionArtifacts, PROJECT_ROOT, type Synthesized } from './synth';
import {
  type Json,
  props,
  resourcePolicies,
  resourcesOfType,
  roleStatements,
  TemplateError,
} from './template';

export interface EmulatorEndpoints {
  readonly fauxqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly secretsManagerEndpoint: string;
}

/**
 * `full`: every scenario. `deliveries`: a signed delivery per source (and the URL-signed one with a query).
 * `smoke`: one signed delivery through ingest and processor (for slow runtimes: arm64 under emulation).
 */
export type ScenarioSet = 'full' | 'deliveries' | 'smoke';

export interface VerifyOptions {
  readonly synth: Synthesized;
  readonly label: string;
  readonly emulators: EmulatorEndpoints;
  /** `deliveries` runs only the signed delivery per source (fast; what the mutation tests need). @default 'full' */
  readonly scenarios?: ScenarioSet;
  /**
   * `host`: every function runs on this machine's architecture, whatever `Architectures` says.
   * `declared`: a function declaring arm64 on an x86-64 machine runs on the arm64 Node under QEMU
   * (see arm64.ts); the run fails, naming why, when that is not available. @default 'host'
   */
  readonly architecture?: 'host' | 'declared';
  readonly log?: (line: string) => void;
}

export interface FunctionReport {
  readonly logicalId: string;
  readonly runtime: string;
  readonly node: string;
  /** What it ran on: `x86_64`, `arm64`, `arm64 (QEMU)`, with what the template declares when it differs. */
  readonly architecture: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly invocations: number;
  readonly errors: number;
  /** `sqs:SendMessage` → count (allowed calls). */
  readonly callsByAction: Readonly<Record<string, number>>;
  readonly denied: readonly string[];
  readonly grantedUnused: readonly string[];
  readonly environment: readonly string[];
}

export interface ScenarioResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface VerifyReport {
  readonly label: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly notes: readonly string[];
  readonly functions: readonly FunctionReport[];
  readonly wiring: readonly string[];
  readonly scenarios: readonly ScenarioResult[];
  readonly alarms: readonly AlarmResult[];
  readonly durationMs: number;
}

const ACCOUNT = '000000000000';
const SERVICES: readonly Service[] = ['sqs', 'dynamodb', 's3', 'secretsmanager'];
const ENDPOINT_VARIABLE: Record<Service, string> = {
  sqs: 'AWS_ENDPOINT_URL_SQS',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
};
/** Largest alarm threshold a scenario tries to reach by volume (bigger ones are reported as not trippable). */
const MAX_SCENARIO_VOLUME = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  stepMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(stepMs);
  }
  return check();
}

interface RunningFunction {
  readonly artifact: FunctionArtifact;
  readonly name: string;
  readonly environment: Record<string, string>;
  readonly runtime: FunctionRuntime;
  readonly proxies: AwsProxy[];
  readonly roleArn: string;
  readonly granted: readonly string[];
  readonly node: string;
  readonly architecture: string;
  inducedCrashes: number;
  invocations: number;
  errors: number;
  readonly logs: string[];
}

export async function verifyDeployment(options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const { synth, emulators } = options;
  const template = synth.template;
  const log = options.log ?? (() => {});
  const problems: string[] = [];
  const notes: string[] = [];
  const wiring: string[] = [];
  const scenarios: ScenarioResult[] = [];
  let phaseStarted = Date.now();
  /** Records a scenario's outcome with the time it took since the previous one. */
  const record = (result: ScenarioResult) => {
    scenarios.push({
      ...result,
      detail: `${result.detail} [${((Date.now() - phaseStarted) / 1000).toFixed(1)} s]`,
    });
    phaseStarted = Date.now();
    log(`${result.ok ? 'ok  ' : 'FAIL'} ${result.name}`);
  };
  const filters = metricFiltersOf(template);
  // A filter the harness cannot evaluate is one it cannot vouch for: reported whatever the scenarios.
  problems.push(...filters.problems);
  const store = new MetricStore(filters);
  const calls: CallRecord[] = [];
  const unexpected = new Set<string>();
  let faults: Fault[] = [];
  const region = LOCAL_REGION;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const direct = {
    sqs: new SQSClient({ region, credentials, endpoint: emulators.fauxqsEndpoint }),
    dynamodb: new DynamoDBClient({ region, credentials, endpoint: emulators.dynamodbEndpoint }),
    s3: new S3Client({ region, credentials, endpoint: emulators.fauxqsEndpoint, forcePathStyle: true }),
    secrets: new SecretsManagerClient({ region, credentials, endpoint: emulators.secretsManagerEndpoint }),
  };
  const upstream: Record<Service, string> = {
    sqs: emulators.fauxqsEndpoint,
    s3: emulators.fauxqsEndpoint,
    dynamodb: emulators.dynamodbEndpoint,
    secretsmanager: emulators.secretsManagerEndpoint,
  };
  const functions = new Map<string, RunningFunction>();
  const clock = new RetryClock(direct.sqs);
  const pollers: SqsPoller[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  let frontDoor: FrontDoor | undefined;
  let cdp: CdpStandIn | undefined;
  let stack: LocalStack | undefined;
  let fullRun = false;
  const finish = async (): Promise<VerifyReport> => {
    for (const p of pollers) await p.stop(2000).catch(() => {});
    for (const f of functions.values()) await f.runtime.stop();
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
    for (const c of Object.values(direct)) c.destroy();
    const reports = [...functions.values()].map((f) => functionReport(f, calls));
    for (const r of reports) {
      for (const d of r.denied) problems.push(`${r.logicalId}: ACCESS DENIED ${d}`);
    }
    for (const c of calls.filter((c) => c.principal.endsWith('(unsupported)'))) {
      problems.push(`${c.principal}: ${c.operation}`);
    }
    problems.push(...store.filterProblems);
    const alarms = stack ? evaluateAlarms(template, stack.resolver, store) : [];
    for (const a of alarms) {
      if (a.neverEmitted && fullRun) {
        problems.push(
          `alarm ${a.logicalId} watches ${a.metric}, which nothing emitted during the run: it can never fire`,
        );
      }
    }
    for (const f of functions.values()) {
      if (f.runtime.initErrors.length) problems.push(`${f.artifact.logicalId}: ${f.runtime.initErrors[0]}`);
    }
    problems.push(...unexpected);
    for (const s of scenarios) if (!s.ok) problems.push(`scenario "${s.name}" failed: ${s.detail}`);
    return {
      label: options.label,
      ok: problems.length === 0,
      problems: [...new Set(problems)],
      notes,
      functions: reports,
      wiring,
      scenarios,
      alarms,
      durationMs: Date.now() - started,
    };
  };

  try {
    // 1. The data resources, from the template's properties.
    const prefix = `vd${randomBytes(3).toString('hex')}`;
    stack = await deployLocalStack(template, direct, {
      prefix,
      region,
      accountId: ACCOUNT,
      stackName: synth.stackName,
    });
    notes.push(...stack.notes);
    const resolver = stack.resolver;
    const policies = resourcePolicies(template);

    // 2. Every function's environment, resolved against them.
    const artifacts = functionArtifacts(synth);
    const environments = new Map<string, Record<string, string>>();
    for (const artifact of artifacts) {
      const variables =
        ((
          props(template.Resources[artifact.logicalId] as never).Environment as
            | Record<string, Json>
            | undefined
        )?.Variables as Record<string, Json> | undefined) ?? {};
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(variables)) {
        try {
          env[name] = resolver.string(value, `${artifact.logicalId} environment ${name}`);
        } catch (error) {
          problems.push((error as Error).message);
        }
      }
      environments.set(artifact.logicalId, env);
    }

    // 3. The operator's post-deploy step, done here: each source's secret gets a key in the provider's
    //    format, in the JSON shape the template's secret declares.
    const signingKeys = new Map<string, string>();
    const sources = new Map<string, SourceDefinition & { secretId: string }>();
    for (const env of environments.values()) {
      if (!env.PIPELINE_SOURCES) continue;
      for (const s of JSON.parse(env.PIPELINE_SOURCES) as (SourceDefinition & { secretId: string })[])
        sources.set(s.id, s);
    }
    for (const source of sources.values()) {
      const generated = generateLocalSecret(source.provider);
      const stored = stack.secretValues.get(source.secretId);
      let value = generated.secret;
      if (stored?.trim().startsWith('{')) {
        const shape = JSON.parse(stored) as Record<string, unknown>;
        const key = Object.keys(shape).find((k) => typeof shape[k] === 'string') ?? 'secret';
        value = JSON.stringify({ ...shape, [key]: generated.secret });
      }
      await direct.secrets.send(
        new PutSecretValueCommand({ SecretId: source.secretId, SecretString: value }),
      );
      signingKeys.set(source.id, generated.signingKey ?? generated.secret);
    }

    // 4. The CDP stand-in takes whatever key the template's CDP secret holds; the one external endpoint
    //    (an https:// URL outside AWS in an environment variable) is pointed at it.
    const cdpSecretArn = [...environments.values()].map((e) => e.CDP_API_KEY_SECRET_ID).find(Boolean);
    const cdpKey = cdpSecretArn
      ? parseSecretString(stack.secretValues.get(cdpSecretArn) ?? '')[0]
      : undefined;
    cdp = await startCdpStandIn({ ...(cdpKey ? { apiKey: cdpKey } : {}) });
    const standIn = cdp;
    stoppers.push(() => standIn.stop());
    for (const [id, env] of environments) {
      for (const [name, value] of Object.entries(env)) {
        if (/^https:\/\//.test(value) && !/amazonaws\.com/.test(value)) {
          // The stand-in serves the records API at its root, where the CDP serves it below the base URL.
          env[name] = standIn.url;
          notes.push(`${id}: ${name} ${value} → the CDP stand-in (external endpoint)`);
        }
      }
    }

    // 5. One IAM proxy per function and service, and the function's instances.
    for (const artifact of artifacts) {
      const node = nodeBinaryFor(artifact.runtime);
      const architectures = (props(template.Resources[artifact.logicalId] as never).Architectures as
        | string[]
        | undefined) ?? ['x86_64'];
      const machine = process.arch === 'arm64' ? 'arm64' : 'x86_64';
      let launcher: Arm64Launcher | undefined;
      if (options.architecture === 'declared' && architectures.includes('arm64') && machine !== 'arm64') {
        const found = await arm64Launcher(node.version);
        if (!found.available) {
          problems.push(
            `${artifact.logicalId}: declares arm64, which cannot be emulated here: ${found.reason}`,
          );
          continue;
        }
        launcher = found.launcher;
      }
      const architecture = launcher
        ? `arm64 (QEMU, Node ${launcher.nodeVersion})`
        : architectures.includes(machine)
          ? machine
          : `${machine} (declares ${architectures.join(',')})`;
      const name = resolver.string({ Ref: artifact.logicalId }, artifact.logicalId);
      const roleArn = artifact.roleLogicalId
        ? resolver.string({ 'Fn::GetAtt': [artifact.roleLogicalId, 'Arn'] }, artifact.logicalId)
        : `arn:aws:iam::${ACCOUNT}:role/none`;
      const { statements, unknownManagedPolicies } = artifact.roleLogicalId
        ? roleStatements(template, artifact.roleLogicalId)
        : { statements: [], unknownManagedPolicies: [] };
      for (const m of unknownManagedPolicies)
        notes.push(`${artifact.logicalId}: managed policy ${m} not evaluated`);
      const identity = statements.map((s) => ({
        origin: s.origin,
        statement: {
          ...s.statement,
          ...(s.statement.Resource !== undefined
            ? { Resource: resolver.value(s.statement.Resource, `${s.origin} Resource`) }
            : {}),
          ...(s.statement.Condition !== undefined
            ? { Condition: resolver.value(s.statement.Condition as Json, `${s.origin} Condition`) as never }
            : {}),
        },
      }));
      const resolvedPolicies = new Map(
        [...policies].map(([target, list]) => [
          target,
          list.map((s) => ({
            origin: s.origin,
            statement: {
              ...s.statement,
              ...(s.statement.Resource !== undefined
                ? { Resource: resolver.value(s.statement.Resource, `${s.origin} Resource`) }
                : {}),
              ...(s.statement.Principal !== undefined
                ? { Principal: resolver.value(s.statement.Principal, `${s.origin} Principal`) }
                : {}),
            },
          })),
        ]),
      );
      const env = { ...(environments.get(artifact.logicalId) ?? {}) };
      const proxies: AwsProxy[] = [];
      for (const service of SERVICES) {
        const proxy = await startAwsProxy({
          principal: artifact.logicalId,
          roleArn,
          service,
          upstream: upstream[service],
          identity,
          resourcePolicies: resolvedPolicies,
          directory: stack.directory,
          region,
          accountId: ACCOUNT,
          record: (c) => calls.push(c),
          faults: () =>
            faults.filter(
              (f) => f.service === service && (!f.principal || f.principal === artifact.logicalId),
            ),
          ...(service === 'sqs' ? { observe: clock.observe } : {}),
        });
        proxies.push(proxy);
        env[ENDPOINT_VARIABLE[service]] = proxy.url;
      }
      const catchAll = await startUnsupportedEndpoint(`${artifact.logicalId} (unsupported)`, (c) =>
        calls.push(c),
      );
      proxies.push(catchAll);
      env.AWS_ENDPOINT_URL = catchAll.url;
      const running: RunningFunction = {
        artifact,
        name,
        environment: env,
        roleArn,
        granted: grantedActions(identity),
        node: `${node.version}.x`,
        architecture,
        inducedCrashes: 0,
        proxies,
        invocations: 0,
        errors: 0,
        logs: [],
        runtime: undefined as never,
      };
      const maxConcurrency = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
        .map(([, m]) => props(m))
        .filter((m) => (m.FunctionName as { Ref?: string } | undefined)?.Ref === artifact.logicalId)
        .map((m) =>
          Number((m.ScalingConfig as Record<string, Json> | undefined)?.MaximumConcurrency ?? 0),
        )[0];
      // Reserved concurrency is a hard bound Lambda enforces by throttling (0 throttles everything);
      // without one, the harness's choice of 4 instances only paces the run (Lambda would scale out).
      const reservedValue = props(
        template.Resources[artifact.logicalId] as never,
      ).ReservedConcurrentExecutions;
      const reserved = reservedValue === undefined ? undefined : Number(reservedValue);
      (running as { runtime: FunctionRuntime }).runtime = new FunctionRuntime({
        artifact,
        functionName: name,
        nodePath: node.path,
        environment: env,
        region,
        maxInstances: reserved ?? (maxConcurrency || 4),
        throttleBeyondMax: reserved !== undefined,
        ...(launcher ? { launcher } : {}),
        onLog: (line) => {
          if (!store.addLogLine(line, artifact.logicalId)) {
            running.logs.push(line);
            if (running.logs.length > 200) running.logs.shift();
          }
        },
        onInvoke: (outcome: InvokeResult) => {
          if (outcome.throttled) {
            for (const dimensions of [{ FunctionName: name }, {}] as Record<string, string>[]) {
              store.add({
                namespace: 'AWS/Lambda',
                name: 'Throttles',
                dimensions,
                value: 1,
                source: 'lambda',
              });
            }
            return;
          }
          running.invocations += 1;
          if (!outcome.ok) {
            running.errors += 1;
            running.logs.push(`[harness] invocation failed: ${outcome.error}`);
            // Crashes a scenario induced are expected; any other failed invocation is a deployment problem.
            if (running.inducedCrashes > 0 && outcome.error?.startsWith('Runtime.ExitError')) {
              running.inducedCrashes -= 1;
            } else {
              const errorLines = running.logs.filter((l) => /"level":"(ERROR|CRITICAL)"/.test(l)).slice(-1);
              unexpected.add(
                `${artifact.logicalId}: invocation failed: ${outcome.error}${errorLines.length ? ` (log: ${errorLines[0]?.slice(0, 400)})` : ''}`,
              );
            }
          }
          for (const dimensions of [{ FunctionName: name }, {}] as Record<string, string>[]) {
            store.add({
              namespace: 'AWS/Lambda',
              name: 'Invocations',
              dimensions,
              value: 1,
              source: 'lambda',
            });
            store.add({
              namespace: 'AWS/Lambda',
              name: 'Errors',
              dimensions,
              value: outcome.ok ? 0 : 1,
              source: 'lambda',
            });
            store.add({
              namespace: 'AWS/Lambda',
              name: 'Duration',
              dimensions,
              value: outcome.durationMs,
              source: 'lambda',
            });
          }
        },
      });
      functions.set(artifact.logicalId, running);
      wiring.push(
        `${artifact.logicalId}: ${artifact.runtime} on Node ${launcher ? `linux-arm64 ${launcher.nodeVersion} under QEMU` : `${process.platform}-${process.arch} ${node.version}.x`}, ${artifact.memoryMb} MB, timeout ${artifact.timeoutSeconds} s, bundle ${artifact.moduleFile.slice(synth.outdir.length + 1)} export ${artifact.exportName}`,
      );
      for (const f of filters.byFunction.get(artifact.logicalId) ?? []) {
        wiring.push(
          `${f.logicalId}: ${artifact.logicalId}'s lines matching ${f.pattern} → ${f.namespace} ${f.name}`,
        );
      }
      if (!launcher && !architectures.includes(machine)) {
        notes.push(
          `${artifact.logicalId}: declares ${architectures.join(',')}, run here on ${machine} (native modules in the bundle would differ)`,
        );
      }
      // A variable the template sets but the bundle never names is dead configuration (or a typo).
      const bundleText = readFileSync(artifact.moduleFile, 'utf8');
      for (const variable of Object.keys(environments.get(artifact.logicalId) ?? {})) {
        if (variable !== 'NODE_OPTIONS' && !bundleText.includes(variable)) {
          notes.push(
            `${artifact.logicalId}: environment variable ${variable} is set but the bundle never names it`,
          );
        }
      }
      for (const p of proxies) stoppers.push(() => p.stop());
    }
    const invoke = (logicalId: string, event: unknown): Promise<InvokeResult> => {
      const f = functions.get(logicalId);
      if (!f) throw new TemplateError(`${logicalId} is not a function of the template`);
      return f.runtime.invoke(event);
    };

    // 6. API Gateway as declared.
    const routes = routesOf(template, resolver, region);
    for (const [id] of resourcesOfType(template, 'AWS::WAFv2::WebACL')) {
      notes.push(
        `${id}: WAF rules (rate limits, IP sets) are not evaluated; requests reach the API as if allowed`,
      );
    }
    if (routes.length === 0) problems.push('no API route integrates a Lambda function');
    for (const r of routes) {
      wiring.push(
        r.kind === 'function-url'
          ? `function-url ${r.apiLogicalId} (every method and path) → ${r.functionLogicalId}, AuthType NONE${r.refusal ? ' but REFUSED' : ' with public invoke permissions'}, Function URL event (2.0 shape), reserved concurrency ${r.reservedConcurrency ?? 'none (unreserved pool)'}`
          : `${r.kind} ${r.method} ${r.resourcePath} → ${r.functionLogicalId}, payload format ${r.payloadFormatVersion}, stage ${r.stage}${r.kind === 'rest-api' ? `, binary media types ${JSON.stringify(r.binaryMediaTypes)}` : ''}`,
      );
      if (r.refusal) problems.push(`${r.refusal}`);
    }
    frontDoor = await startFrontDoor(routes, invoke, (p) => store.add(p));
    const door = frontDoor;
    stoppers.push(() => door.stop());

    // 7. The SQS event source mappings as declared.
    for (const [id, m] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const p = props(m);
      const fnId = (p.FunctionName as { Ref?: string } | undefined)?.Ref ?? '';
      const f = functions.get(fnId);
      const queueArn = resolver.string(p.EventSourceArn, `${id}.EventSourceArn`);
      const queueOwner = stack.directory.ownerOf(queueArn);
      if (!f || !queueOwner) {
        problems.push(`${id}: event source mapping of ${fnId} on ${queueArn} cannot be emulated`);
        continue;
      }
      const queueUrl = stack.resources.get(queueOwner)?.ref ?? '';
      const types = (p.FunctionResponseTypes as string[] | undefined) ?? [];
      const batchSize = Number(p.BatchSize ?? 10);
      const windowSeconds = Number(p.MaximumBatchingWindowInSeconds ?? 0);
      const maxConcurrency =
        Number((p.ScalingConfig as Record<string, Json> | undefined)?.MaximumConcurrency ?? 0) || 5;
      wiring.push(
        `${id}: ${queueOwner} → ${fnId}, batch ${batchSize}, window ${windowSeconds} s, ${types.join(',') || 'no partial batch responses'}, max concurrency ${maxConcurrency}${p.Enabled === false ? ', DISABLED' : ''}`,
      );
      if (p.Enabled === false) continue;
      // Lambda polls with the function's execution role: the poller's calls go through its proxy.
      const esmSqs = new SQSClient({
        region,
        credentials,
        endpoint: f.proxies[SERVICES.indexOf('sqs')]?.url ?? '',
        useQueueUrlAsEndpoint: false,
      });
      stoppers.push(async () => esmSqs.destroy());
      pollers.push(
        await startSqsPoller({
          sqs: esmSqs,
          queueUrl,
          queueArn,
          batchSize,
          maxBatchingWindowMs: windowSeconds * 1000,
          functionTimeoutMs: f.artifact.timeoutSeconds * 1000,
          maxConcurrency,
          reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
          waitTimeSeconds: 1,
          functionName: f.name,
          region,
          handler: async (event: SQSEvent) => {
            const outcome = await invoke(fnId, event);
            await clock.elapse(queueUrl, event.Records);
            if (!outcome.ok) throw new Error(outcome.error);
            return outcome.result as never;
          },
          onError: (error) => f.logs.push(`[event source mapping] ${(error as Error).message}`),
        }),
      );
    }

    // 8. Queue depth, as CloudWatch's AWS/SQS metrics would sample it.
    const queueIds = resourcesOfType(template, 'AWS::SQS::Queue').map(([id]) => id);
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const id of queueIds) {
          const q = stack?.resources.get(id);
          if (!q) continue;
          const got = await direct.sqs
            .send(
              new GetQueueAttributesCommand({
                QueueUrl: q.ref,
                AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
              }),
            )
            .catch(() => undefined);
          const visible = Number(got?.Attributes?.ApproximateNumberOfMessages ?? 0);
          store.add({
            namespace: 'AWS/SQS',
            name: 'ApproximateNumberOfMessagesVisible',
            dimensions: { QueueName: q.attributes.QueueName ?? '' },
            value: visible,
            source: 'sqs',
          });
        }
        await sleep(500);
      }
    })();
    stoppers.push(async () => {
      sampling = false;
      await sampler;
    });

    if (problems.length > 0) return await finish();

    // 9. Scenarios.
    const mainQueue = (() => {
      const m = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')[0];
      const owner = m
        ? stack.directory.ownerOf(resolver.string(props(m[1]).EventSourceArn, 'mapping'))
        : undefined;
      return owner ? stack.resources.get(owner)?.ref : undefined;
    })();
    const dlqUrl = (() => {
      for (const [, q] of resourcesOfType(template, 'AWS::SQS::Queue')) {
        const target = (props(q).RedrivePolicy as Record<string, Json> | undefined)?.deadLetterTargetArn;
        if (target) {
          const owner = stack.directory.ownerOf(resolver.string(target, 'redrive'));
          if (owner) return stack.resources.get(owner)?.ref;
        }
      }
      return undefined;
    })();
    const depth = async (url: string | undefined) => {
      if (!url) return 0;
      const got = await direct.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(got.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(got.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    };
    const drained = () =>
      waitFor(async () => unexpected.size > 0 || (await depth(mainQueue)) === 0, 30_000, 300);
    const route = routes[0] as Route;
    const publicUrl = (sourceId: string) => {
      const output = template.Outputs?.[`WebhookUrl${sourceId.replace(/-/g, '')}`];
      if (output) return resolver.string(output.Value, `Outputs.WebhookUrl${sourceId}`);
      const stagePrefix = route.kind === 'rest-api' ? `/${route.stage}` : '';
      return `https://${route.domainName}${stagePrefix}/webhooks/${sourceId}`;
    };
    const deliver = async (source: SourceDefinition, mutate?: (body: Buffer) => Buffer, tamper = false) => {
      const name = fixtureNames(source.provider)[0];
      if (!name) throw new Error(`no fixture for provider ${source.provider}`);
      const rendered = renderFixture(loadFixture(source.provider, name));
      const body = mutate ? mutate(rendered.body) : rendered.body;
      const url = publicUrl(source.id);
      const signed = signDelivery(
        source,
        { ...rendered, body },
        signingKeys.get(source.id) ?? '',
        url.replace(/\/webhooks\/[^/]+$/, ''),
      );
      const sent = tamper ? Buffer.concat([signed.body, Buffer.from(' ')]) : signed.body;
      const response = await fetch(door.localUrl(signed.url), {
        method: 'POST',
        headers: signed.headers,
        body: sent,
        signal: AbortSignal.timeout(35_000),
      });
      return { status: response.status, body: await response.text() };
    };
    const processedFor = (sourceId: string) =>
      store.points.filter(
        (p) =>
          p.source !== 'front door' &&
          ['Processed', 'UnmappedEventType'].includes(p.name) &&
          p.dimensions.source === sourceId,
      ).length;

    // 9a. A signed delivery per source reaches the CDP.
    phaseStarted = Date.now();
    const accepted: string[] = [];
    const refused = new Map<string, string[]>();
    const delivered =
      options.scenarios === 'smoke' ? [...sources.values()].slice(0, 1) : [...sources.values()];
    for (const source of delivered) {
      let answer: string;
      try {
        const got = await deliver(source);
        if (got.status === 202) {
          accepted.push(source.id);
          continue;
        }
        answer = `${got.status} ${got.body.slice(0, 300)}`;
      } catch (error) {
        answer = String(error);
      }
      refused.set(answer, [...(refused.get(answer) ?? []), source.id]);
    }
    for (const [answer, ids] of refused) {
      record({ name: `delivery ${ids.join(', ')}`, ok: false, detail: `answered ${answer}` });
    }
    await drained();
    await waitFor(() => unexpected.size > 0 || accepted.every((id) => processedFor(id) > 0), 10_000);
    const missing = accepted.filter((id) => processedFor(id) === 0);
    const writes = standIn.requests.filter((r) => r.status < 300).length;
    record({
      name: 'signed delivery per source reaches the CDP',
      ok:
        accepted.length === delivered.length &&
        missing.length === 0 &&
        writes > 0 &&
        (await depth(dlqUrl)) === 0,
      detail: `${accepted.length}/${delivered.length} accepted (202); processed: ${accepted.length - missing.length}${missing.length ? ` (none for ${missing.join(', ')})` : ''}; ${writes} CDP writes; DLQ ${await depth(dlqUrl)}`,
    });
    // 9a'. URL-signed schemes sign the URL the provider called, query included as the provider spelled it
    //      (a customer may register any query; Twilio signs the URL string as configured). The function can
    //      only check that if the event carries the raw query string: HTTP API payload 2.0 and Function URLs
    //      do (`rawQueryString`); payload 1.0 has only the parsed parameters, which the ingest must
    //      re-encode (other escaping, repeated names regrouped), so the signed URL no longer matches.
    const urlSigned =
      options.scenarios === 'smoke' ? undefined : [...sources.values()].find((s) => s.provider === 'twilio');
    const twilio = SIGNERS.twilio;
    if (urlSigned && twilio) {
      const query = 'note=a%20b&tag=1&note=2';
      const name = fixtureNames(urlSigned.provider)[0] ?? '';
      const rendered = renderFixture(loadFixture(urlSigned.provider, name));
      const signed = twilio({
        body: rendered.body,
        url: `${publicUrl(urlSigned.id)}?${query}`,
        signingKey: signingKeys.get(urlSigned.id) ?? '',
        contentType: rendered.contentType,
      });
      const got = await fetch(door.localUrl(signed.url), {
        method: 'POST',
        headers: { 'Content-Type': rendered.contentType, ...rendered.headers, ...signed.headers },
        body: rendered.body,
        signal: AbortSignal.timeout(35_000),
      });
      const answer = `${got.status} ${(await got.text()).slice(0, 200)}`;
      const carriesRawQuery = route.payloadFormatVersion === '2.0';
      const cause = `payload format ${route.payloadFormatVersion} carries no raw query string: the ingest re-encodes the parsed parameters ("${query}" arrives as "${new URLSearchParams(query).toString()}" at best, and multi-value parameters regroup), so the URL ${urlSigned.provider} signed no longer matches`;
      if (got.status === 202 || carriesRawQuery) {
        record({
          name: `URL-signed delivery (${urlSigned.id}) with a query as the provider spelled it`,
          ok: got.status === 202,
          detail: `?${query} → ${answer}`,
        });
      } else if (route.kind === 'rest-api') {
        // The REST API sends nothing but 1.0: a documented limitation of that option (README, Limits).
        notes.push(
          `${urlSigned.id}: a signed URL with the query ?${query} answered ${answer}: ${cause} (REST API limitation)`,
        );
      } else {
        record({
          name: `URL-signed delivery (${urlSigned.id}) with a query as the provider spelled it`,
          ok: false,
          detail: `?${query} → ${answer}: ${cause}; declare PayloadFormatVersion 2.0`,
        });
      }
    }
    if (options.scenarios !== 'full' || scenarios.some((s) => !s.ok)) return await finish();

    const thresholds = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => Number(props(a).Threshold))
      .filter((t) => Number.isFinite(t) && t <= MAX_SCENARIO_VOLUME);
    const volume = Math.max(1, Math.ceil(Math.max(0, ...thresholds)));
    const firstSource =
      [...sources.values()].find((s) => s.provider === 'stripe') ?? [...sources.values()][0];
    if (!firstSource) return await finish();

    // 9b. A claim-checked body round-trips through S3.
    const ingestEnv = [...functions.values()].find(
      (f) => f.environment.CLAIM_CHECK_THRESHOLD_BYTES,
    )?.environment;
    const threshold = Number(ingestEnv?.CLAIM_CHECK_THRESHOLD_BYTES ?? 0);
    if (threshold > 0) {
      const before = processedFor(firstSource.id);
      const answer = await deliver(firstSource, (body) => {
        const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        return Buffer.from(
          JSON.stringify({ ...json, verifyDeploymentPadding: 'x'.repeat(threshold + 1024) }),
        );
      });
      await drained();
      await waitFor(() => processedFor(firstSource.id) > before, 10_000);
      const put = calls.some((c) => c.allowed && c.checks.some((k) => k.action === 's3:PutObject'));
      const got = calls.some((c) => c.allowed && c.checks.some((k) => k.action === 's3:GetObject'));
      record({
        name: 'claim-checked body round-trips',
        ok: answer.status === 202 && put && got && processedFor(firstSource.id) > before,
        detail: `${answer.status}; body ${threshold + 1024}+ bytes over CLAIM_CHECK_THRESHOLD_BYTES=${threshold}; s3:PutObject ${put ? 'by ingest' : 'MISSING'}, s3:GetObject ${got ? 'by processor' : 'MISSING'}`,
      });
    } else {
      notes.push('no function sets CLAIM_CHECK_THRESHOLD_BYTES: claim-check scenario skipped');
    }

    // 9c. Signature failures are rejected (4xx), never enqueued.
    const depthBefore = await depth(mainQueue);
    const rejected: number[] = [];
    for (let i = 0; i < volume; i += 1) rejected.push((await deliver(firstSource, undefined, true)).status);
    record({
      name: 'tampered deliveries rejected',
      ok: rejected.every((s) => s === 401) && (await depth(mainQueue)) === depthBefore,
      detail: `${volume} tampered bodies → ${[...new Set(rejected)].join(',')}; queue depth unchanged`,
    });

    // 9d. Enqueue failure: SQS unavailable to the ingest function → 503 (retry me), nothing accepted.
    const ingestId = route.functionLogicalId;
    faults = [{ service: 'sqs', operation: /^SendMessage/, status: 503, principal: ingestId }];
    const enqueueAnswers: number[] = [];
    for (let i = 0; i < volume; i += 5) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(5, volume - i) }, () => deliver(firstSource).then((a) => a.status)),
      );
      enqueueAnswers.push(...batch);
    }
    faults = [];
    record({
      name: 'enqueue failure answers 5xx',
      ok: enqueueAnswers.every((s) => s === 503),
      detail: `SQS SendMessage* answered 503 to ${ingestId} for ${volume} deliveries → ${[...new Set(enqueueAnswers)].join(',')}`,
    });

    // 9e. CDP outage: deliveries fail and are retried (not lost), then recover once the CDP heals.
    await drained();
    const failedBefore = store.points.filter((p) => p.name === 'Failed').length;
    const dlqBeforeOutage = await depth(dlqUrl);
    const failures = () => store.points.filter((p) => p.name === 'Failed').length - failedBefore;
    standIn.setFaults({ outage: true });
    // Spread over every source: updates of one entity wait for each other behind the guard (counted as
    // Deferred, not Failed), so one source's fixture alone would trip no failure alarm.
    const outageSources = [...sources.values()];
    for (let i = 0; i < volume; i += 1) {
      await deliver(outageSources[i % outageSources.length] ?? firstSource);
    }
    // Not every event reaches the CDP during the outage (events on one entity wait for each other), so
    // the outage lasts until as many failures as events were counted, or until failures stop coming.
    let seen = 0;
    let changed = Date.now();
    await waitFor(() => {
      if (failures() !== seen) {
        seen = failures();
        changed = Date.now();
      }
      return failures() >= volume || (seen > 0 && Date.now() - changed > 2000);
    }, 15_000);
    standIn.setFaults({});
    const dlqAfterOutage = await depth(dlqUrl);
    record({
      name: 'CDP outage counted as failed deliveries, nothing dead-lettered',
      ok: failures() > 0 && dlqAfterOutage === dlqBeforeOutage,
      detail: `${failures()} Failed datapoints for ${volume} events during the outage; DLQ ${dlqBeforeOutage} → ${dlqAfterOutage}`,
    });

    // 9f. Permanent CDP rejections (422) go to the DLQ at once, with their reason.
    const dlqBefore = await depth(dlqUrl);
    standIn.queueFaults({ status: 422 }, { status: 422 });
    await deliver(firstSource);
    await deliver(firstSource);
    // Events on an entity whose write was maybe applied during the outage wait out the guard's quarantine
    // (AMBIGUOUS_QUARANTINE_MS) before their turn, so this waits longer than that.
    const dlqFilled = await waitFor(async () => (await depth(dlqUrl)) >= dlqBefore + 2, 60_000);
    record({
      name: 'permanent CDP rejections fill the DLQ',
      ok: dlqFilled,
      detail: `DLQ ${dlqBefore} → ${await depth(dlqUrl)}`,
    });

    // 9g. The ingest sandbox dies mid-request (the answer is lost, maybe after the write): API Gateway
    //     answers 5xx, the provider retries the same delivery, and the CDP still sees one effect.
    const ingest = functions.get(ingestId);
    if (ingest) ingest.inducedCrashes += 1;
    ingest?.runtime.crashNext();
    const crashed = await deliver(firstSource);
    const retried = await deliver(firstSource);
    record({
      name: 'ingest crash answers 5xx; the retry is accepted',
      ok: crashed.status >= 500 && retried.status === 202,
      detail: `crashed invocation → ${crashed.status}, provider retry → ${retried.status}`,
    });

    // The outage's events come back after the processor's backoff and must then reach the CDP. Their
    // backoff delays are fast-forwarded once (the retry clock); any later delay runs in wall time.
    await clock.advanceAll();
    const recovered = await waitFor(async () => (await depth(mainQueue)) === 0, 90_000, 500);
    record({
      name: 'events failed during the outage are delivered after it',
      ok: recovered,
      detail: recovered
        ? 'main queue drained after the CDP healed'
        : `main queue still holds ${await depth(mainQueue)}`,
    });
    // 9h'. A CDP outage outlasting every retry: the processor backs off on every receive, SQS counts the
    //     receives against the redrive policy's maxReceiveCount and moves the event to the DLQ itself. The
    //     backoff would take hours of wall time; the retry clock fast-forwards exactly those delays.
    const redrivePolicy = resourcesOfType(template, 'AWS::SQS::Queue')
      .map(([id, q]) => ({ id, policy: props(q).RedrivePolicy }))
      .find((q) => q.policy !== undefined);
    const maxReceiveCount = redrivePolicy
      ? Number(
          (
            resolver.value(redrivePolicy.policy as Json, `${redrivePolicy.id}.RedrivePolicy`) as {
              maxReceiveCount?: unknown;
            }
          ).maxReceiveCount,
        )
      : Number.NaN;
    if (Number.isFinite(maxReceiveCount)) {
      const dlqBeforeExhaustion = await depth(dlqUrl);
      const fastForwarded = clock.elapsed.length;
      clock.fastForward = true;
      standIn.setFaults({ outage: true });
      const sent = await deliver(firstSource);
      const moved = await waitFor(async () => (await depth(dlqUrl)) > dlqBeforeExhaustion, 120_000, 500);
      standIn.setFaults({});
      clock.fastForward = false;
      const delays = clock.elapsed.slice(fastForwarded);
      const total = delays.reduce((a, b) => a + b, 0);
      record({
        name: 'an outage outlasting maxReceiveCount receives fills the DLQ (redrive policy)',
        ok: sent.status === 202 && moved && delays.length === maxReceiveCount,
        detail: `${sent.status}; ${moved ? 'moved to the DLQ by SQS' : 'NOT dead-lettered within 120 s'} after ${delays.length} failed receives (${redrivePolicy?.id} maxReceiveCount ${maxReceiveCount}); the processor's backoff asked for ${delays.join(', ')} s (${(total / 3600).toFixed(1)} h), fast-forwarded`,
      });
    } else {
      notes.push('no queue declares a RedrivePolicy: the dead-lettering scenario is skipped');
    }

    // 9i. The on-call CLI finds the queues through the stack's Outputs and redrives the DLQ; the
    //     redriven events now reach the CDP.
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      outputs[key] = resolver.string(output.Value, `Outputs.${key}`);
    }
    const cloudFormation = await startCloudFormationStandIn(synth.stackName, outputs, region, ACCOUNT);
    stoppers.push(() => cloudFormation.stop());
    const dlqBeforeRedrive = await depth(dlqUrl);
    const cli = await runCli(['dlq', 'redrive', '--stack', synth.stackName, '--yes', '--json'], {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
      AWS_ENDPOINT_URL_SQS: emulators.fauxqsEndpoint,
      AWS_ENDPOINT_URL_S3: emulators.fauxqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodbEndpoint,
    });
    const dlqEmptied = await waitFor(
      async () => (await depth(dlqUrl)) === 0 && (await depth(mainQueue)) === 0,
      30_000,
      500,
    );
    record({
      name: 'on-call CLI redrives the DLQ via the stack outputs',
      ok: cli.code === 0 && dlqBeforeRedrive > 0 && dlqEmptied,
      detail: `webhooks dlq redrive --stack ${synth.stackName} → exit ${cli.code}; DLQ ${dlqBeforeRedrive} → ${await depth(dlqUrl)}, main queue ${await depth(mainQueue)}${cli.code === 0 ? '' : `; ${cli.output.slice(-400)}`}`,
    });

    const doubled = [...standIn.effects()].filter(([, n]) => n > 1);
    record({
      name: 'nothing applied twice in the CDP',
      ok: doubled.length === 0,
      detail: `${standIn.effectCount()} effects over ${standIn.effects().size} Idempotency-Keys${doubled.length ? `; applied more than once: ${doubled.map(([k]) => k).join(', ')}` : ''}`,
    });

    // 9h. A processor sandbox dies mid-batch: the whole batch fails (Lambda Errors); its records come back
    //     after the queue's visibility timeout, which this run does not wait for.
    const processorId = [...functions.keys()].find(
      (id) => id !== ingestId && functions.get(id)?.environment.STATE_TABLE,
    );
    const processor = processorId ? functions.get(processorId) : undefined;
    if (processor) {
      const errorsBefore = processor.errors;
      processor.inducedCrashes += 1;
      processor.runtime.crashNext();
      await deliver(firstSource);
      const failed = await waitFor(() => processor.errors > errorsBefore, 15_000);
      record({
        name: 'processor crash fails the batch',
        ok: failed,
        detail: failed
          ? 'invocation failed with Runtime.ExitError; the records stay on the queue until its visibility timeout (not waited for)'
          : 'the crashed invocation was not reported as failed',
      });
    }
    fullRun = true;
    for (const f of functions.values()) {
      if (f.errors > 0)
        notes.push(
          `${f.artifact.logicalId}: ${f.errors} failed invocation(s): ${f.logs
            .filter((l) => l.startsWith('[harness]'))
            .slice(-2)
            .join(' | ')}`,
        );
    }
    return await finish();
  } catch (error) {
    problems.push(`${(error as Error).name}: ${(error as Error).message}`);
    return await finish();
  }
}

/**
 * The one clock the harness may move: the retry delays the processor itself asks for. A failed record's
 * next attempt is the processor's decision (ChangeMessageVisibility with its backoff, from the bundle),
 * counted by SQS (ApproximateReceiveCount) against the template's maxReceiveCount, and SQS moves it to the
 * DLQ on the receive after the last; none of that depends on how long the delay lasts in wall time. While
 * `fastForward` is on, once an invocation has returned, each of its records whose visibility the function
 * changed is made visible at once, as if that delay had elapsed (recorded, for the report). Nothing the
 * template declares changes: the queue keeps its visibility timeout, a record the function did not delay
 * (a crashed batch) still waits for it, and the batching window, batch size and concurrency stay.
 */
class RetryClock {
  fastForward = false;
  /** Every delay fast-forwarded, in seconds, in order. */
  readonly elapsed: number[] = [];
  private readonly requested = new Map<string, number>();
  /** Delays of finished invocations not fast-forwarded (yet): receipt handle → queue and seconds. */
  private readonly waiting = new Map<string, { queueUrl: string; seconds: number }>();

  constructor(private readonly sqs: SQSClient) {}

  readonly observe = (operation: string, input: Record<string, unknown>): void => {
    const entries =
      operation === 'ChangeMessageVisibility'
        ? [input]
        : operation === 'ChangeMessageVisibilityBatch'
          ? ((input.Entries as Record<string, unknown>[] | undefined) ?? [])
          : [];
    for (const e of entries) {
      if (typeof e.ReceiptHandle === 'string')
        this.requested.set(e.ReceiptHandle, Number(e.VisibilityTimeout));
    }
  };

  /** After an invocation: fast-forwards the delays it asked for when `fastForward` is on, else keeps them. */
  async elapse(queueUrl: string, records: readonly { receiptHandle: string }[]): Promise<void> {
    for (const { receiptHandle } of records) {
      const seconds = this.requested.get(receiptHandle);
      if (seconds === undefined) continue;
      this.requested.delete(receiptHandle);
      if (seconds <= 0) continue;
      if (this.fastForward) await this.makeVisible(receiptHandle, queueUrl, seconds);
      else this.waiting.set(receiptHandle, { queueUrl, seconds });
    }
  }

  /** Once: every delay asked for so far has elapsed (later ones run in wall time again). */
  async advanceAll(): Promise<number> {
    const due = [...this.waiting];
    this.waiting.clear();
    let moved = 0;
    for (const [handle, { queueUrl, seconds }] of due) {
      if (await this.makeVisible(handle, queueUrl, seconds)) moved += 1;
    }
    return moved;
  }

  private async makeVisible(receiptHandle: string, queueUrl: string, seconds: number): Promise<boolean> {
    // A handle whose message was received again, or deleted, is refused: that delay is over anyway.
    return await this.sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: 0,
        }),
      )
      .then(() => {
        this.elapsed.push(seconds);
        return true;
      })
      .catch(() => false);
  }
}

function functionReport(f: RunningFunction, calls: readonly CallRecord[]): FunctionReport {
  const mine = calls.filter((c) => c.principal === f.artifact.logicalId);
  const callsByAction: Record<string, number> = {};
  const denied: string[] = [];
  const used = new Set<string>();
  for (const c of mine) {
    for (const check of c.checks) {
      if (check.decision.allowed) {
        callsByAction[check.action] = (callsByAction[check.action] ?? 0) + 1;
        used.add(check.action);
      } else {
        denied.push(`${check.action} on ${check.resource} (${c.operation}): ${check.decision.reason}`);
      }
    }
  }
  // CloudWatch Logs actions are used by the Lambda service on the function's behalf when it logs.
  const grantedUnused = f.granted.filter(
    (g) => !g.startsWith('logs:') && ![...used].some((u) => wildcardMatch(g, u, true)),
  );
  return {
    logicalId: f.artifact.logicalId,
    runtime: f.artifact.runtime,
    node: f.node,
    architecture: f.architecture,
    timeoutSeconds: f.artifact.timeoutSeconds,
    memoryMb: f.artifact.memoryMb,
    invocations: f.invocations,
    errors: f.errors,
    callsByAction,
    denied: [...new Set(denied)],
    grantedUnused,
    environment: Object.keys(f.environment).filter((k) => !k.startsWith('AWS_ENDPOINT_URL')),
  };
}

/** Runs the on-call CLI ({@link onCallCliCommand}) as an operator would, with only the given AWS settings. */
async function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const cli = await onCallCliCommand();
  return new Promise((resolve) => {
    const child = spawn(cli.command, [...cli.args, ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}
