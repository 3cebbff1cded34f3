/**
 * The metrics a run produces and the template's alarms judged against them. Custom metrics come only
 * from the functions' own logs: Embedded Metric Format lines (with the namespace and dimensions as
 * emitted), and lines matching the template's metric filters on the function's log group
 * (metric-filters.ts, evaluated as CloudWatch would); service metrics (AWS/Lambda, AWS/ApiGateway, AWS/SQS) are recorded by the harness where it
 * plays that service. The whole run counts as one evaluation period: a condition is "tripped" when the
 * run's aggregate crosses the alarm's threshold.
 */
import { type MetricFilters, matches, pointOf } from './metric-filters';
import type { CfnTemplate, Json, Resolver } from './template';
import { props, resourcesOfType } from './template';

export interface Datapoint {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  readonly source: string;
}

export class MetricStore {
  readonly points: Datapoint[] = [];
  /** Lines a metric filter matched but could not turn into a datapoint (value or dimension field missing). */
  readonly filterProblems = new Set<string>();

  /** `filters`: the template's metric filters by function logical id (`metricFiltersOf`). */
  constructor(private readonly filters?: MetricFilters) {}

  add(point: Datapoint): void {
    this.points.push(point);
  }

  /**
   * Parses one log line of the function `source` (its logical id). EMF documents become datapoints (one
   * per dimension set, as CloudWatch does) and the call returns true (the line is metrics, not a log);
   * other JSON lines are matched against the metric filters on the function's log group, and any match
   * becomes a datapoint (returns false: the line is still a log line).
   */
  addLogLine(line: string, source: string): boolean {
    if (!line.startsWith('{')) return false;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return false;
    }
    if (!('_aws' in doc)) {
      for (const filter of this.filters?.byFunction.get(source) ?? []) {
        if (!matches(filter, doc)) continue;
        const point = pointOf(filter, doc);
        if (typeof point === 'string') {
          this.filterProblems.add(
            `metric filter ${filter.logicalId} (${filter.name}) matched a line of ${source} but publishes nothing: ${point}`,
          );
        } else {
          this.add({ ...point, source });
        }
      }
      return false;
    }
    const aws = doc._aws as
      | { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
      | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      const sets = directive.Dimensions.length ? directive.Dimensions : [[]];
      for (const set of sets) {
        const dimensions: Record<string, string> = {};
        for (const d of set) dimensions[d] = String(doc[d]);
        for (const metric of directive.Metrics) {
          const raw = doc[metric.Name];
          const values = Array.isArray(raw) ? raw : [raw];
          for (const v of values) {
            if (typeof v === 'number')
              this.add({ namespace: directive.Namespace, name: metric.Name, dimensions, value: v, source });
          }
        }
      }
    }
    return true;
  }
}

/** AWS service metrics the harness cannot produce, and why. */
const NOT_PRODUCED: Record<string, string> = {
  'AWS/Lambda Throttles':
    'not trippable here: throttling needs the account concurrency limit of a real region',
  'AWS/SQS ApproximateAgeOfOldestMessage':
    'not trippable here: needs a message older than the threshold, longer than a run',
};

export type AlarmVerdict =
  | { readonly state: 'tripped'; readonly value: number }
  | { readonly state: 'not-tripped'; readonly value: number | undefined; readonly why: string }
  | { readonly state: 'not-evaluable'; readonly why: string };

export interface AlarmResult {
  readonly logicalId: string;
  readonly metric: string;
  readonly threshold: number;
  readonly verdict: AlarmVerdict;
  /** A custom-namespace alarm on a metric nothing emitted: an alarm that can never fire. */
  readonly neverEmitted: boolean;
}

function aggregate(values: number[], statistic: string): number | undefined {
  if (values.length === 0) return undefined;
  switch (statistic) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'SampleCount':
      return values.length;
    default:
      return undefined;
  }
}

function compare(operator: string, value: number, threshold: number): boolean | undefined {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      return undefined;
  }
}

function sameDimensions(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

interface InsightsQuery {
  readonly fn: string;
  readonly metric: string;
  readonly namespace: string;
  /** SCHEMA(ns, d1, d2): only metrics with exactly these dimension keys. */
  readonly schemaKeys?: readonly string[];
  readonly where: readonly { key: string; op: '=' | '!='; value: string }[];
  readonly groupBy: readonly string[];
}

/** The subset of Metrics Insights SQL alarms use: SELECT FN(m) FROM ns|SCHEMA(...) [WHERE a AND b] [GROUP BY …]. */
export function parseInsights(sql: string): InsightsQuery | undefined {
  const m =
    /^\s*SELECT\s+(\w+)\s*\(\s*"?([\w.-]+)"?\s*\)\s+FROM\s+(SCHEMA\s*\(([^)]*)\)|"[^"]+"|[\w/.-]+)(?:\s+WHERE\s+(.+?))?(?:\s+GROUP\s+BY\s+(.+?))?(?:\s+ORDER\s+BY\s+.+?)?(?:\s+LIMIT\s+\d+)?\s*$/is.exec(
      sql,
    );
  if (!m) return undefined;
  const [, fn = '', metric = '', from = '', schemaArgs, whereText, groupText] = m;
  let namespace = from.replace(/^"|"$/g, '');
  let schemaKeys: string[] | undefined;
  if (schemaArgs !== undefined) {
    const parts = schemaArgs.split(',').map((p) => p.trim().replace(/^"|"$/g, ''));
    namespace = parts[0] ?? '';
    schemaKeys = parts.slice(1);
  }
  const where: { key: string; op: '=' | '!='; value: string }[] = [];
  if (whereText) {
    for (const clause of whereText.split(/\s+AND\s+/i)) {
      const c = /^\s*"?([\w.-]+)"?\s*(=|!=)\s*'([^']*)'\s*$/.exec(clause);
      if (!c) return undefined;
      where.push({ key: c[1] as string, op: c[2] as '=' | '!=', value: c[3] as string });
    }
  }
  const groupBy = groupText ? groupText.split(',').map((g) => g.trim().replace(/^"|"$/g, '')) : [];
  return { fn: fn.toUpperCase(), metric, namespace, ...(schemaKeys ? { schemaKeys } : {}), where, groupBy };
}

const INSIGHTS_FN: Record<string, string> = {
  SUM: 'Sum',
  MAX: 'Maximum',
  MIN: 'Minimum',
  AVG: 'Average',
  COUNT: 'SampleCount',
};

function evaluateInsights(
  query: InsightsQuery,
  store: MetricStore,
): { value: number | undefined; matched: number } {
  const matching = store.points.filter((p) => {
    if (p.namespace !== query.namespace || p.name !== query.metric) return false;
    if (query.schemaKeys) {
      const keys = Object.keys(p.dimensions).sort();
      const want = [...query.schemaKeys].sort();
      if (keys.length !== want.length || keys.some((k, i) => k !== want[i])) return false;
    }
    return query.where.every((w) =>
      w.op === '=' ? p.dimensions[w.key] === w.value : p.dimensions[w.key] !== w.value,
    );
  });
  const groups = new Map<string, number[]>();
  for (const p of matching) {
    const key = query.groupBy.map((g) => p.dimensions[g] ?? '').join('|');
    groups.set(key, [...(groups.get(key) ?? []), p.value]);
  }
  const statistic = INSIGHTS_FN[query.fn] ?? '';
  let best: number | undefined;
  for (const values of groups.values()) {
    const v = aggregate(values, statistic);
    if (v !== undefined && (best === undefined || v > best)) best = v;
  }
  return { value: best, matched: matching.length };
}

export function evaluateAlarms(template: CfnTemplate, resolver: Resolver, store: MetricStore): AlarmResult[] {
  return resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([logicalId, resource]) => {
    const p = props(resource);
    const threshold = Number(p.Threshold);
    const operator = String(p.ComparisonOperator ?? '');
    const judge = (value: number | undefined, emptyWhy: string): AlarmVerdict => {
      if (value === undefined) return { state: 'not-tripped', value, why: emptyWhy };
      const hit = compare(operator, value, threshold);
      if (hit === undefined) return { state: 'not-evaluable', why: `comparison ${operator}` };
      return hit ? { state: 'tripped', value } : { state: 'not-tripped', value, why: `reached ${value}` };
    };
    if (typeof p.MetricName === 'string') {
      const namespace = resolver.string(p.Namespace, `${logicalId}.Namespace`);
      const dims: Record<string, string> = {};
      for (const d of (p.Dimensions as { Name: string; Value: Json }[] | undefined) ?? []) {
        dims[d.Name] = resolver.string(d.Value, `${logicalId}.Dimensions.${d.Name}`);
      }
      const points = store.points.filter(
        (pt) => pt.namespace === namespace && pt.name === p.MetricName && sameDimensions(pt.dimensions, dims),
      );
      const statistic = String(p.Statistic ?? 'Sum');
      const metric = `${namespace} ${p.MetricName} ${JSON.stringify(dims)} ${statistic}`;
      const anyName = store.points.some((pt) => pt.namespace === namespace && pt.name === p.MetricName);
      return {
        logicalId,
        metric,
        threshold,
        verdict: judge(
          aggregate(
            points.map((pt) => pt.value),
            statistic,
          ),
          anyName
            ? 'emitted, but never with these dimensions'
            : (NOT_PRODUCED[`${namespace} ${String(p.MetricName)}`] ?? 'no datapoint in this run'),
        ),
        neverEmitted: !namespace.startsWith('AWS/') && points.length === 0,
      };
    }
    const metrics = (p.Metrics as Record<string, Json>[] | undefined) ?? [];
    const returned = metrics.find((m) => m.ReturnData !== false) ?? metrics[0];
    const expression = typeof returned?.Expression === 'string' ? returned.Expression : undefined;
    const query = expression ? parseInsights(expression) : undefined;
    if (!query) {
      return {
        logicalId,
        metric: expression ?? 'metric math',
        threshold,
        verdict: {
          state: 'not-evaluable',
          why: 'only Metrics Insights SELECT queries and single metrics are evaluated',
        },
        neverEmitted: false,
      };
    }
    const { value, matched } = evaluateInsights(query, store);
    const anyName = store.points.some((pt) => pt.namespace === query.namespace && pt.name === query.metric);
    return {
      logicalId,
      metric: expression ?? '',
      threshold,
      verdict: judge(value, anyName ? 'emitted, but the query matched nothing' : 'no datapoint in this run'),
      neverEmitted: !query.namespace.startsWith('AWS/') && matched === 0,
    };
  });
}
