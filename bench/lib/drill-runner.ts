/**
 * The incident drill behind `npm run drill`: the CDP goes down → events reach the DLQ → the alarm
 * conditions show in the recorded metrics → the CDP recovers → the documented CLI redrive, run as a child
 * process exactly as on-call would → every event applied exactly once.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createProcessor } from '../../lambdas/processor/processor';
import { createSqsClient } from '../../lambdas/shared/aws-clients';
import { DEFAULT_ALARMS } from '../../lib/config';
import { pipelineConfig } from '../../lib/pipeline-config';
import { readLocalSecrets, SECRETS_EXAMPLE_PATH } from '../../local/local-secrets';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline';
import { postDelivery } from '../../local/send-webhooks';
import { createDeliveryFactory, type ExpectedEvent } from './deliveries';
import { createRng } from './prng';
import { MetricCounter, processorDepsFromEnv } from './processor';
import { queueTotal, waitUntilStable } from './queues';
import { type Reconciliation, reconcile } from './reconcile';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

export interface DrillOptions {
  /** Events to send during the outage. @default 40 */
  readonly count?: number;
  /** @default 1 */
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export interface DrillStep {
  readonly step: string;
  readonly atSeconds: number;
  readonly detail: string;
}

export interface DrillReport {
  /** Webhooks sent during the outage. */
  readonly webhooks: number;
  /** Events (with CDP operations) they carried. */
  readonly events: number;
  readonly steps: readonly DrillStep[];
  readonly alarms: readonly {
    readonly alarm: string;
    readonly condition: string;
    readonly observed: number;
    readonly firing: boolean;
  }[];
  readonly metricsDuringOutage: Record<string, number>;
  readonly commands: readonly {
    readonly purpose: string;
    readonly command: string;
    readonly output: string;
  }[];
  readonly reconciliation: Reconciliation;
  readonly dlqAfter: number;
  /** CLI commands that exited non-zero. */
  readonly cliFailures: number;
  readonly ok: boolean;
}

async function dlqVisible(pipeline: LocalPipeline): Promise<number> {
  return queueTotal(createSqsClient(), pipeline.resources.dlqUrl);
}

export async function runDrill(options: DrillOptions = {}): Promise<DrillReport> {
  const count = options.count ?? 40;
  const log = options.log ?? (() => {});
  const metrics = new MetricCounter();
  const secretsPath = join(tmpdir(), `drill-secrets-${process.pid}-${Date.now()}.json`);
  copyFileSync(SECRETS_EXAMPLE_PATH, secretsPath);
  const started = Date.now();
  const steps: DrillStep[] = [];
  const step = (name: string, detail: string) => {
    steps.push({ step: name, atSeconds: Math.round((Date.now() - started) / 100) / 10, detail });
    log(`[${steps.at(-1)?.atSeconds ?? 0}s] ${name}: ${detail}`);
  };
  const pipeline = await startLocalPipeline({
    port: 0,
    cdpPort: 0,
    secretsPath,
    quiet: true,
    log: () => {},
    pollWaitSeconds: 1,
    // Two receives before the DLQ and short retry delays: the outage reaches the DLQ in seconds, not hours.
    queue: { processorTimeoutSeconds: 10, maxReceiveCount: 2, maxBatchingWindowSeconds: 0 },
    wrapHandlers: ({ ingest }) => {
      const processor = createProcessor({
        ...processorDepsFromEnv(metrics),
        backoff: { baseDelaySeconds: 1, maxDelaySeconds: 5 },
      });
      return { ingest, processor: (event, context) => processor.handleBatch(event, context) };
    },
  });
  const commands: { purpose: string; command: string; output: string }[] = [];
  let cliFailures = 0;
  const cli = async (purpose: string, args: string[]) => {
    const shown = `webhooks ${args.join(' ')}`;
    let output: string;
    try {
      const { stdout } = await run('npx', ['tsx', 'bin/webhooks-cli.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, ...pipeline.env },
        timeout: 120_000,
      });
      output = stdout.trim();
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; message: string };
      cliFailures += 1;
      output = `${failed.stdout ?? ''}\n${failed.stderr ?? failed.message}`.trim();
    }
    commands.push({ purpose, command: shown, output });
    log(`$ ${shown}\n${output}`);
  };
  try {
    const urls =
      `--queue-url ${pipeline.resources.queueUrl} --dlq-url ${pipeline.resources.dlqUrl} --table ${pipeline.resources.tableName}`.split(
        ' ',
      );
    pipeline.cdp.setFaults({ outage: true });
    step('outage', 'CDP stand-in answers every request 503');
    const factory = createDeliveryFactory({
      baseUrl: pipeline.url,
      sources: pipelineConfig.sources,
      secrets: readLocalSecrets(secretsPath),
      rng: createRng(options.seed ?? 1),
    });
    const accepted = new Map<string, ExpectedEvent>();
    for (let i = 0; i < count; i++) {
      const d = factory.fresh();
      const response = await postDelivery(d);
      if (response.status !== 202) continue;
      const receipt = JSON.parse(response.body) as { eventIds?: string[] };
      for (const id of receipt.eventIds ?? []) {
        const e = d.events.find((x) => x.dedupeKey === id);
        if (e && e.operationKeys.length > 0) accepted.set(id, e);
      }
    }
    step('webhooks accepted', `${accepted.size} events with CDP operations accepted (202) during the outage`);
    const sqs = createSqsClient();
    const inDlq = await waitUntilStable(
      async () =>
        (await queueTotal(sqs, pipeline.resources.queueUrl)) === 0 && (await dlqVisible(pipeline)) > 0,
      { timeoutMs: 240_000, stableMs: 2000, intervalMs: 500 },
    );
    const depth = await dlqVisible(pipeline);
    step('dead-lettered', `${inDlq ? 'main queue empty' : 'timed out waiting'}; DLQ depth ${depth}`);
    const metricsDuringOutage = { ...metrics.totals };
    const failed = metrics.totals.Failed ?? 0;
    const alarms = [
      {
        alarm: 'DeadLetterQueueNotEmpty',
        condition: 'DLQ ApproximateNumberOfMessagesVisible > 0',
        observed: depth,
        firing: depth > 0,
      },
      {
        alarm: 'CdpFailureRate',
        condition: `SUM(Failed) >= ${DEFAULT_ALARMS.cdpFailuresPer5Minutes} in 5 minutes`,
        observed: failed,
        firing: failed >= DEFAULT_ALARMS.cdpFailuresPer5Minutes,
      },
    ];
    step('alarms', alarms.map((a) => `${a.alarm} ${a.firing ? 'FIRING' : 'ok'} (${a.observed})`).join(', '));
    await cli('what is in the DLQ, by reason and source', ['dlq', 'stats', ...urls]);
    await cli('a few messages, to see the failure reason', ['dlq', 'list', '--limit', '3', ...urls]);

    pipeline.cdp.setFaults({});
    step('recovery', 'CDP stand-in healthy again');
    await cli('put everything back on the main queue', ['dlq', 'redrive', '--yes', ...urls]);
    step('redrive', 'webhooks dlq redrive --yes');
    const applied = await waitUntilStable(
      async () => {
        const effects = pipeline.cdp.effects();
        const all = [...accepted.values()].every((e) =>
          e.operationKeys.every((k) => (effects.get(k) ?? 0) >= 1),
        );
        return all && (await queueTotal(sqs, pipeline.resources.queueUrl)) === 0;
      },
      { timeoutMs: 240_000, stableMs: 2000, intervalMs: 500 },
    );
    const dlqAfter = await dlqVisible(pipeline);
    step('applied', `${applied ? 'every event applied' : 'timed out waiting'}; DLQ depth ${dlqAfter}`);
    await cli('confirm the DLQ is empty', ['dlq', 'stats', ...urls]);
    const first = [...accepted.keys()][0];
    if (first) {
      const cut = first.indexOf(':');
      await cli('look one event up', ['events', 'get', first.slice(0, cut), first.slice(cut + 1), ...urls]);
    }
    const reconciliation = reconcile({ accepted, effects: pipeline.cdp.effects(), deadLetters: [] });
    return {
      webhooks: count,
      events: accepted.size,
      steps,
      alarms,
      metricsDuringOutage,
      commands,
      reconciliation,
      dlqAfter,
      cliFailures,
      ok:
        cliFailures === 0 &&
        inDlq &&
        applied &&
        dlqAfter === 0 &&
        reconciliation.ok &&
        reconciliation.appliedOnce === accepted.size &&
        alarms.every((a) => a.firing),
    };
  } finally {
    await pipeline.stop();
    rmSync(secretsPath, { force: true });
  }
}
