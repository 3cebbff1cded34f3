/**
 * verify:deployment judges alarms on what the deployed wiring would publish: EMF lines, and the template's
 * CloudWatch Logs metric filters evaluated against the functions' lines. The NoWebhooks alarm watches
 * `Enqueued`, which only a metric filter on the ingest's log group produces: without that filter (or with
 * it on another log group, or matching a message the code no longer writes) the alarm can never fire, and
 * the run must say so.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { LOG_MESSAGES } from '../../../lambdas/shared/log-metrics';
import { evaluateAlarms, MetricStore } from '../../../scripts/verify-deployment/alarms';
import { metricFiltersOf, parseFilterPattern } from '../../../scripts/verify-deployment/metric-filters';
import {
  type CfnTemplate,
  type ResolvedResource,
  Resolver,
} from '../../../scripts/verify-deployment/template';
import { synthesize, TEST_CONFIG } from '../../infra/support';

/** A resolver that names every resource after its logical id: alarms here are judged on custom metrics. */
function resolverFor(template: CfnTemplate): Resolver {
  const resources = new Map<string, ResolvedResource>();
  for (const id of Object.keys(template.Resources)) {
    resources.set(id, {
      ref: id,
      attributes: new Proxy({}, { get: (_t, attribute) => `${id}.${String(attribute)}` }),
    });
  }
  return new Resolver(template, resources, {
    region: 'eu-west-1',
    accountId: '123456789012',
    stackName: 's',
  });
}

function functionId(template: CfnTemplate, prefix: string): string {
  const id = Object.entries(template.Resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix),
  )?.[0];
  assert.ok(id, `no function ${prefix}`);
  return id;
}

/** The "Webhook enqueued" line as the ingest writes it (Powertools JSON, compact keys). */
const enqueuedLine = (source: string, events: number) =>
  JSON.stringify({
    level: 'INFO',
    message: LOG_MESSAGES.webhookEnqueued,
    timestamp: '2026-12-03T16:00:00.000Z',
    service: 'webhook-ingest',
    source,
    events,
    dedupeKey: `${source}:evt_1`,
    eventType: 'invoice.paid',
  });

function noWebhooks(template: CfnTemplate, store: MetricStore) {
  const alarm = evaluateAlarms(template, resolverFor(template), store).find((a) =>
    a.logicalId.startsWith('MonitoringNoWebhooksstripe'),
  );
  assert.ok(alarm, 'the template has no NoWebhooks alarm for stripe');
  return alarm;
}

describe('verify:deployment metric filters', () => {
  let template: CfnTemplate;
  let ingest: string;
  let processor: string;
  before(() => {
    template = synthesize(TEST_CONFIG).template.toJSON() as CfnTemplate;
    ingest = functionId(template, 'IngestFunction');
    processor = functionId(template, 'ProcessorFunction');
  });

  it("turns the ingest's enqueued line into Enqueued datapoints through the template's filter", () => {
    const filters = metricFiltersOf(template);
    assert.deepEqual(filters.problems, []);
    assert.deepEqual(
      filters.byFunction.get(ingest)?.map((f) => f.name),
      ['Enqueued'],
    );
    assert.deepEqual(
      filters.byFunction
        .get(processor)
        ?.map((f) => f.name)
        .sort(),
      ['CdpLatency', 'DuplicateSkipped', 'Processed'],
    );
    const store = new MetricStore(filters);
    // Not EMF: still a log line for the harness (false), but a datapoint for the alarms.
    assert.equal(store.addLogLine(enqueuedLine('stripe', 3), ingest), false);
    assert.deepEqual(store.points, [
      {
        namespace: 'WebhookPipeline',
        name: 'Enqueued',
        dimensions: { service: 'webhook-ingest', source: 'stripe' },
        value: 3,
        source: ingest,
      },
    ]);
    const alarm = noWebhooks(template, store);
    assert.equal(alarm.neverEmitted, false);
    assert.deepEqual(alarm.verdict, { state: 'not-tripped', value: 3, why: 'reached 3' });
  });

  it('without the metric filter, the NoWebhooks alarm watches a metric nothing emits', () => {
    const withoutFilters: CfnTemplate = {
      ...template,
      Resources: Object.fromEntries(
        Object.entries(template.Resources).filter(([, r]) => r.Type !== 'AWS::Logs::MetricFilter'),
      ),
    };
    const store = new MetricStore(metricFiltersOf(withoutFilters));
    store.addLogLine(enqueuedLine('stripe', 1), ingest);
    assert.deepEqual(store.points, []);
    assert.equal(noWebhooks(withoutFilters, store).neverEmitted, true);
  });

  it('counts a line only for the function whose log group the filter reads, and only the message it names', () => {
    const store = new MetricStore(metricFiltersOf(template));
    // The same line in the processor's log group: no filter there names it.
    store.addLogLine(enqueuedLine('stripe', 1), processor);
    // A reworded message in the ingest's group: the pattern no longer matches.
    store.addLogLine(
      enqueuedLine('stripe', 1).replace(LOG_MESSAGES.webhookEnqueued, 'Webhook queued'),
      ingest,
    );
    assert.deepEqual(store.points, []);
    assert.equal(noWebhooks(template, store).neverEmitted, true);
  });

  it('reports a matching line that cannot publish (value or dimension field missing)', () => {
    const store = new MetricStore(metricFiltersOf(template));
    const line = JSON.parse(enqueuedLine('stripe', 1)) as Record<string, unknown>;
    delete line.events;
    store.addLogLine(JSON.stringify(line), ingest);
    assert.deepEqual(store.points, []);
    assert.match([...store.filterProblems].join('\n'), /Enqueued.*value \$\.events is not a number/);
  });

  it('evaluates only the JSON-pattern subset it knows; anything else is reported, never passed', () => {
    assert.deepEqual(parseFilterPattern('{ $.message = "Event processed" && $.cdpMs >= 0 }'), [
      { path: ['message'], op: '=', value: 'Event processed' },
      { path: ['cdpMs'], op: '>=', value: 0 },
    ]);
    for (const pattern of [
      '{ $.a = "x" || $.b = "y" }',
      '{ ($.a = "x") }',
      '{ $.message = "Event*" }',
      '{ $.a IS NULL }',
      '"Event processed"',
      '[ip, user, status = 500]',
      '{ $.cdpMs >= "1" }',
    ]) {
      assert.equal(typeof parseFilterPattern(pattern), 'string', pattern);
    }
    const odd: CfnTemplate = JSON.parse(JSON.stringify(template)) as CfnTemplate;
    const [id, filter] =
      Object.entries(odd.Resources).find(([, r]) => r.Type === 'AWS::Logs::MetricFilter') ?? [];
    assert.ok(id && filter?.Properties);
    filter.Properties.FilterPattern = '{ $.message = "Webhook*" }';
    const problems = metricFiltersOf(odd).problems;
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', new RegExp(`metric filter ${id}: .* not evaluable`));
  });
});
