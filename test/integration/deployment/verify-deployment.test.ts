/**
 * verify:deployment on the synthesized stack: the default configuration and the Function URL front door
 * pass with every scenario (the DLQ filling by maxReceiveCount included), the REST + WAF front door passes
 * its deliveries, and deployment mistakes made in the template (an IAM statement removed, an environment
 * variable removed, an ARN for a URL, a payload format version API Gateway does not send or one that loses
 * the raw query string, a Function URL without its public invoke permission) each fail the run with a
 * message naming the cause. The template is mutated in memory: the bundles stay the same.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pipelineConfig } from '../../../lib/pipeline-config';
import { arm64Launcher } from '../../../scripts/verify-deployment/arm64';
import {
  type EmulatorEndpoints,
  type VerifyReport,
  verifyDeployment,
} from '../../../scripts/verify-deployment/harness';
import { formatReport } from '../../../scripts/verify-deployment/report';
import { type Synthesized, synthesize } from '../../../scripts/verify-deployment/synth';
import type { CfnTemplate, PolicyStatement } from '../../../scripts/verify-deployment/template';
import { useEmulators } from '../../support/emulators';

let endpoints: EmulatorEndpoints;
let synth: Synthesized;
const out = mkdtempSync(join(tmpdir(), 'verify-deployment-test-'));

function mutated(change: (template: CfnTemplate) => void): Synthesized {
  const template = structuredClone(synth.template);
  change(template);
  return { ...synth, template };
}

function resourceOfPath(template: CfnTemplate, type: string, pathPart: string) {
  const found = Object.entries(template.Resources).find(
    ([, r]) => r.Type === type && String(r.Metadata?.['aws:cdk:path'] ?? '').includes(pathPart),
  );
  assert.ok(found, `no ${type} under ${pathPart}`);
  return found[1];
}

async function run(label: string, s: Synthesized, scenarios: 'full' | 'deliveries'): Promise<VerifyReport> {
  return await verifyDeployment({ synth: s, label, emulators: endpoints, scenarios });
}

describe('verify:deployment', { timeout: 600_000 }, () => {
  useEmulators();
  before(() => {
    endpoints = {
      fauxqsEndpoint: process.env.AWS_ENDPOINT_URL_SQS ?? '',
      dynamodbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
      secretsManagerEndpoint: process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '',
    };
    synth = synthesize(pipelineConfig, join(out, 'default'));
  });
  after(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('passes on the default configuration: no denied call, every trippable alarm tripped', async () => {
    const report = await run('http-api', synth, 'full');
    assert.ok(report.ok, formatReport(report));
    for (const f of report.functions) assert.equal(f.denied.length, 0, `${f.logicalId} had denied calls`);
    // Alarm kinds the harness cannot evaluate (metric math) are reported, not failed; an evaluable alarm
    // that no scenario tripped must be one the harness knows cannot trip here.
    const untripped = report.alarms.filter((a) => a.verdict.state === 'not-tripped');
    for (const a of untripped) {
      assert.match(
        a.verdict.state === 'not-tripped' ? a.verdict.why : '',
        /not trippable here/,
        `${a.logicalId} was not tripped by any scenario`,
      );
    }
    assert.ok(report.scenarios.length >= 8);
    // The shipped form of code splitting: a body over the threshold makes both functions load their S3
    // chunk from the synthesized asset folder (chunks/ beside index.mjs) and call S3 through it.
    const claimChecked = report.scenarios.find((s) => s.name === 'claim-checked body round-trips');
    assert.ok(claimChecked?.ok, `claim-checked body: ${claimChecked?.detail ?? 'did not run'}`);
    const exhausted = report.scenarios.find((s) => s.name.includes('outlasting maxReceiveCount'));
    assert.ok(exhausted?.ok, `dead-lettering by maxReceiveCount: ${exhausted?.detail ?? 'did not run'}`);
    assert.match(exhausted.detail, /after 12 failed receives \(\S+ maxReceiveCount 12\)/);
  });

  it('runs every function that declares arm64 on the arm64 Node under QEMU (smoke: one delivery)', async (t) => {
    const found = await arm64Launcher();
    if (!found.available) {
      const message = `arm64 NOT RUN: ${found.reason}`;
      // CI installs the emulator and asks for it; elsewhere the skip is loud, never a silent pass.
      if (process.env.VERIFY_DEPLOYMENT_ARM64 === 'required')
        assert.fail(`${message} (VERIFY_DEPLOYMENT_ARM64=required)`);
      console.warn(`\n!!! ${message}\n`);
      t.skip(message);
      return;
    }
    const report = await verifyDeployment({
      synth,
      label: 'arm64 (QEMU) smoke',
      emulators: endpoints,
      scenarios: 'smoke',
      architecture: 'declared',
    });
    assert.ok(report.ok, formatReport(report));
    for (const f of report.functions) {
      assert.match(f.architecture, /^arm64 \(QEMU, Node v24\./, `${f.logicalId} ran on ${f.architecture}`);
      assert.ok(f.invocations > 0, `${f.logicalId} was not invoked under arm64`);
    }
  });

  it('passes every scenario through the Function URL front door', async () => {
    // With a watched source: its NoWebhooks alarm reads `Enqueued`, which only the metric filter on the
    // ingest's log group publishes; a full run fails on an alarm whose metric nothing emitted.
    const watched = pipelineConfig.sources.map((s) =>
      s.id === 'stripe' ? { ...s, expectEventsWithinMinutes: 60 } : s,
    );
    const url = synthesize(
      { ...pipelineConfig, sources: watched, frontDoor: 'function-url' },
      join(out, 'url'),
    );
    const report = await run('function-url', url, 'full');
    assert.ok(report.ok, formatReport(report));
    const silence = report.alarms.find((a) => a.logicalId.startsWith('MonitoringNoWebhooksstripe'));
    assert.ok(silence && !silence.neverEmitted, formatReport(report));
    assert.ok(
      silence.verdict.state === 'not-tripped' && (silence.verdict.value ?? 0) >= 1,
      JSON.stringify(silence.verdict),
    );
    for (const metric of ['Enqueued', 'Processed', 'DuplicateSkipped', 'CdpLatency']) {
      assert.ok(
        report.wiring.some((w) => w.endsWith(`→ WebhookPipeline ${metric}`)),
        `no metric filter wired for ${metric}:\n${report.wiring.join('\n')}`,
      );
    }
    assert.ok(
      report.wiring.some((w) =>
        /^function-url .+ AuthType NONE with public invoke permissions.+reserved concurrency 20$/.test(w),
      ),
      report.wiring.join('\n'),
    );
    // The API 5xx alarm watches the URL's own metric (AWS/Lambda Url5xxCount) with this front door.
    const api5xx = report.alarms.find((a) => a.metric.includes('Url5xxCount'));
    assert.equal(api5xx?.verdict.state, 'tripped', formatReport(report));
  });

  it('fails naming the permission when the Function URL cannot be invoked anonymously', async () => {
    const url = synthesize({ ...pipelineConfig, frontDoor: 'function-url' }, join(out, 'url-perm'));
    const template = structuredClone(url.template);
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type === 'AWS::Lambda::Permission' && r.Properties?.Action === 'lambda:InvokeFunction')
        delete template.Resources[id];
    }
    const report = await run('function-url without InvokeFunction', { ...url, template }, 'deliveries');
    assert.equal(report.ok, false);
    assert.ok(
      report.problems.some((p) =>
        /no AWS::Lambda::Permission grants Principal "\*" lambda:InvokeFunction \(InvokedViaFunctionUrl true\).+403 Forbidden/.test(
          p,
        ),
      ),
      report.problems.join('\n'),
    );
  });

  it('passes the deliveries through the REST API + WAF front door', async () => {
    const rest = synthesize({ ...pipelineConfig, frontDoor: 'rest-api' }, join(out, 'rest'));
    const report = await run('rest-api', rest, 'deliveries');
    assert.ok(report.ok, formatReport(report));
    assert.ok(report.wiring.some((w) => w.startsWith('rest-api POST /webhooks/{sourceId}')));
    // REST APIs only send payload 1.0: the query-spelling limitation is reported, not failed (README, Limits).
    assert.ok(
      report.notes.some(
        (n) => n.includes('carries no raw query string') && n.includes('REST API limitation'),
      ),
      report.notes.join('\n'),
    );
  });

  it('fails naming the action and resource when an IAM statement is removed', async () => {
    const broken = mutated((t) => {
      const policy = resourceOfPath(t, 'AWS::IAM::Policy', '/Ingest/');
      const doc = policy.Properties?.PolicyDocument as unknown as { Statement: PolicyStatement[] };
      doc.Statement = doc.Statement.filter((s) => !JSON.stringify(s.Action).includes('sqs:SendMessage'));
    });
    const report = await run('missing IAM statement', broken, 'deliveries');
    assert.equal(report.ok, false);
    assert.ok(
      report.problems.some((p) => /ACCESS DENIED sqs:SendMessage on arn:aws:sqs:[^ ]+QueuesQueue/.test(p)),
      report.problems.join('\n'),
    );
  });

  it('fails naming the variable when an environment variable is removed', async () => {
    const broken = mutated((t) => {
      const fn = resourceOfPath(t, 'AWS::Lambda::Function', '/Processor/');
      const variables = (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment
        .Variables;
      delete variables.STATE_TABLE;
    });
    const report = await run('missing environment variable', broken, 'deliveries');
    assert.equal(report.ok, false);
    assert.ok(
      report.problems.some((p) => p.includes('STATE_TABLE')),
      report.problems.join('\n'),
    );
  });

  it('fails naming the ARN a function passes where SQS expects a queue URL', async () => {
    const broken = mutated((t) => {
      const fn = resourceOfPath(t, 'AWS::Lambda::Function', '/Ingest/');
      const variables = (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment
        .Variables;
      const queue = JSON.stringify(variables.QUEUE_URL).match(/"Ref":"([^"]+)"/)?.[1];
      variables.QUEUE_URL = { 'Fn::GetAtt': [queue, 'Arn'] };
    });
    const report = await run('ARN for a URL', broken, 'deliveries');
    assert.equal(report.ok, false);
    assert.ok(
      report.problems.some((p) =>
        /QueueUrl "arn:aws:sqs:[^"]+" is an ARN; SQS expects the queue URL/.test(p),
      ),
      report.problems.join('\n'),
    );
  });

  it('fails naming PayloadFormatVersion when the integration declares one API Gateway does not send', async () => {
    const broken = mutated((t) => {
      const integration = resourceOfPath(t, 'AWS::ApiGatewayV2::Integration', '/Ingest/');
      (integration.Properties as Record<string, unknown>).PayloadFormatVersion = '3.0';
    });
    const report = await run('payload format 3.0', broken, 'deliveries');
    assert.equal(report.ok, false);
    assert.ok(
      report.problems.some((p) => p.includes('PayloadFormatVersion "3.0"')),
      report.problems.join('\n'),
    );
  });

  it('payload 1.0 on the HTTP API: every signed delivery passes, but it fails naming the raw query string', async () => {
    // 1.0 is compatible with the ingest for headers (multiValueHeaders), the base64 body and the path, so
    // every source's plain delivery is accepted; what 1.0 loses is the query string as sent, which
    // URL-signed schemes (Twilio) sign, so a registered URL with a query fails there.
    const v1 = mutated((t) => {
      const integration = resourceOfPath(t, 'AWS::ApiGatewayV2::Integration', '/Ingest/');
      (integration.Properties as Record<string, unknown>).PayloadFormatVersion = '1.0';
    });
    const report = await run('payload format 1.0', v1, 'deliveries');
    assert.ok(report.wiring.some((w) => w.includes('payload format 1.0')));
    const plain = report.scenarios.find((s) => s.name === 'signed delivery per source reaches the CDP');
    assert.ok(plain?.ok, formatReport(report));
    assert.equal(report.ok, false);
    assert.ok(
      report.problems.some((p) =>
        /URL-signed delivery \(twilio\).+payload format 1\.0 carries no raw query string.+declare PayloadFormatVersion 2\.0/.test(
          p,
        ),
      ),
      report.problems.join('\n'),
    );
  });
});
