/**
 * The template's CloudWatch Logs metric filters, evaluated against the functions' real log lines the way
 * CloudWatch would: a filter belongs to the function whose `LoggingConfig.LogGroup` names the same log
 * group, its JSON filter pattern is matched against each JSON line, and a match becomes a datapoint (value
 * from `$.field` or a literal, dimensions from `$.field`s). So an alarm on a filter metric is judged on
 * what the deployed wiring would publish: a filter missing, on another log group, or matching a message
 * the code no longer writes leaves the alarm's metric empty ("can never fire").
 *
 * Only the JSON-pattern subset the house uses is evaluated: `{ TERM && TERM … }`, TERM being
 * `$.path = "text"` / `!= "text"` (no wildcards) or `$.path OP number` with `=`, `!=`, `<`, `<=`, `>`, `>=`.
 * Anything else (`||`, parentheses, wildcards, `IS NULL`, space-delimited or plain-text patterns) is
 * reported as not evaluable, and such a filter never matches: never a silent pass.
 */
import type { LogMetricFilter } from '../../lambdas/shared/log-metrics';
import type { CfnTemplate, Json } from './template';
import { props, resourcesOfType } from './template';

type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=';

interface Term {
  readonly path: readonly string[];
  readonly op: Operator;
  readonly value: string | number;
}

export interface MetricFilter {
  /** Logical id of the `AWS::Logs::MetricFilter`. */
  readonly logicalId: string;
  /** Logical id of the function writing to the filtered log group. */
  readonly functionLogicalId: string;
  readonly pattern: string;
  readonly namespace: string;
  readonly name: string;
  /** `$.field` path or a literal. */
  readonly value: { readonly path: readonly string[] } | { readonly literal: number };
  /** Dimension name → `$.field` path. */
  readonly dimensions: Readonly<Record<string, readonly string[]>>;
  readonly terms: readonly Term[];
}

export interface MetricFilters {
  readonly byFunction: ReadonlyMap<string, readonly MetricFilter[]>;
  /** Filters that cannot be evaluated or wired: each one a reason the run cannot vouch for a metric. */
  readonly problems: readonly string[];
}

export interface FilterPoint {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
}

const FIELD = /^\$((?:\.[A-Za-z_][\w-]*)+)$/;

function fieldPath(text: string): string[] | undefined {
  const m = FIELD.exec(text.trim());
  return m?.[1]?.slice(1).split('.');
}

/** Parses the evaluable subset of a JSON filter pattern; a string is the reason it is not evaluable. */
export function parseFilterPattern(pattern: string): Term[] | string {
  const body = /^\s*\{(.*)\}\s*$/s.exec(pattern)?.[1];
  if (body === undefined) return 'not a JSON filter pattern ({ … })';
  if (/\|\||[()]/.test(body)) return 'uses || or parentheses';
  const terms: Term[] = [];
  for (const clause of body.split('&&')) {
    const m = /^\s*(\$[\w.-]+)\s*(!=|<=|>=|=|<|>)\s*(.+?)\s*$/s.exec(clause);
    if (!m) return `clause "${clause.trim()}" is not $.field OP value`;
    const [, field = '', op = '', raw = ''] = m;
    const path = fieldPath(field);
    if (!path) return `"${field}" is not a plain $.field path`;
    let value: string | number;
    if (/^"[^"*\\]*"$/.test(raw)) {
      if (op !== '=' && op !== '!=') return `${op} compares numbers, not "${raw}"`;
      value = raw.slice(1, -1);
    } else if (/^-?\d+(\.\d+)?$/.test(raw)) {
      value = Number(raw);
    } else {
      return `value ${raw} is neither a quoted string without wildcards nor a number`;
    }
    terms.push({ path, op: op as Operator, value });
  }
  return terms;
}

function at(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function holds(term: Term, doc: unknown): boolean {
  const field = at(doc, term.path);
  if (typeof term.value === 'string') {
    // CloudWatch matches strings exactly (no wildcard here); a missing field matches nothing.
    if (typeof field !== 'string') return false;
    return term.op === '=' ? field === term.value : field !== term.value;
  }
  if (typeof field !== 'number') return false;
  switch (term.op) {
    case '=':
      return field === term.value;
    case '!=':
      return field !== term.value;
    case '<':
      return field < term.value;
    case '<=':
      return field <= term.value;
    case '>':
      return field > term.value;
    case '>=':
      return field >= term.value;
  }
}

/** Whether a parsed JSON log line matches every term of the filter. */
export function matches(filter: Pick<MetricFilter, 'terms'>, doc: unknown): boolean {
  return filter.terms.length > 0 && filter.terms.every((term) => holds(term, doc));
}

/**
 * The datapoint a matching line gives, or why it gives none (CloudWatch publishes nothing when the value
 * field is not a number or a dimension field is missing).
 */
export function pointOf(filter: MetricFilter, doc: unknown): FilterPoint | string {
  let value: number;
  if ('literal' in filter.value) value = filter.value.literal;
  else {
    const raw = at(doc, filter.value.path);
    if (typeof raw !== 'number') return `value $.${filter.value.path.join('.')} is not a number on the line`;
    value = raw;
  }
  const dimensions: Record<string, string> = {};
  for (const [name, path] of Object.entries(filter.dimensions)) {
    const raw = at(doc, path);
    if (typeof raw !== 'string' && typeof raw !== 'number')
      return `dimension ${name} ($.${path.join('.')}) is missing from the line`;
    dimensions[name] = String(raw);
  }
  return { namespace: filter.namespace, name: filter.name, dimensions, value };
}

/** Reads every `AWS::Logs::MetricFilter` and attaches it to the function whose log group it filters. */
export function metricFiltersOf(template: CfnTemplate): MetricFilters {
  const problems: string[] = [];
  const functionsByGroup = new Map<string, string[]>();
  for (const [logicalId, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const group = (props(fn).LoggingConfig as Record<string, Json> | undefined)?.LogGroup;
    // Without LoggingConfig.LogGroup, Lambda writes to /aws/lambda/<name>: no template filter can name it here.
    if (group === undefined) continue;
    const key = JSON.stringify(group);
    functionsByGroup.set(key, [...(functionsByGroup.get(key) ?? []), logicalId]);
  }
  const byFunction = new Map<string, MetricFilter[]>();
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Logs::MetricFilter')) {
    const p = props(resource);
    const pattern = p.FilterPattern;
    const transformations = (p.MetricTransformations as Record<string, Json>[] | undefined) ?? [];
    const functions = functionsByGroup.get(JSON.stringify(p.LogGroupName)) ?? [];
    if (functions.length === 0) {
      problems.push(
        `metric filter ${logicalId}: its log group ${JSON.stringify(p.LogGroupName)} is no function's log group, so it is not evaluated`,
      );
      continue;
    }
    if (typeof pattern !== 'string') {
      problems.push(`metric filter ${logicalId}: FilterPattern is not a literal string; not evaluable`);
      continue;
    }
    const terms = parseFilterPattern(pattern);
    if (typeof terms === 'string') {
      problems.push(`metric filter ${logicalId}: pattern ${pattern} is not evaluable here (${terms})`);
      continue;
    }
    for (const t of transformations) {
      const [namespace, name, rawValue] = [t.MetricNamespace, t.MetricName, t.MetricValue];
      if (typeof namespace !== 'string' || typeof name !== 'string' || typeof rawValue !== 'string') {
        problems.push(`metric filter ${logicalId}: namespace, name and value must be literal strings`);
        continue;
      }
      const valuePath = fieldPath(rawValue);
      const literal = Number(rawValue);
      if (!valuePath && !Number.isFinite(literal)) {
        problems.push(`metric filter ${logicalId}: value ${rawValue} is neither $.field nor a number`);
        continue;
      }
      const dimensions: Record<string, string[]> = {};
      let dimensionsOk = true;
      for (const d of (t.Dimensions as { Key: Json; Value: Json }[] | undefined) ?? []) {
        const path = typeof d.Value === 'string' ? fieldPath(d.Value) : undefined;
        if (typeof d.Key !== 'string' || !path) {
          problems.push(`metric filter ${logicalId}: dimension ${JSON.stringify(d)} is not NAME = $.field`);
          dimensionsOk = false;
          continue;
        }
        dimensions[d.Key] = path;
      }
      if (!dimensionsOk) continue;
      for (const functionLogicalId of functions) {
        const filter: MetricFilter = {
          logicalId,
          functionLogicalId,
          pattern,
          namespace,
          name,
          value: valuePath ? { path: valuePath } : { literal },
          dimensions,
          terms,
        };
        byFunction.set(functionLogicalId, [...(byFunction.get(functionLogicalId) ?? []), filter]);
      }
    }
  }
  return { byFunction, problems };
}

/**
 * The datapoints a log line gives under the shared filter definitions themselves (before any template):
 * the same parser and evaluator as the template's, for tests and benchmarks that run the domain without
 * a deployment. Throws on a definition this evaluator cannot read.
 */
export function logMetricPoints(
  definitions: readonly LogMetricFilter[],
  doc: unknown,
  namespace = 'WebhookPipeline',
): FilterPoint[] {
  const points: FilterPoint[] = [];
  for (const definition of definitions) {
    const terms = parseFilterPattern(definition.filterPattern);
    if (typeof terms === 'string') throw new Error(`${definition.metricName}: ${terms}`);
    const valuePath = fieldPath(definition.metricValue);
    const dimensions: Record<string, string[]> = {};
    for (const [name, field] of Object.entries(definition.dimensions)) {
      const path = fieldPath(field);
      if (!path) throw new Error(`${definition.metricName}: dimension ${name} is not $.field`);
      dimensions[name] = path;
    }
    const filter: MetricFilter = {
      logicalId: definition.metricName,
      functionLogicalId: '',
      pattern: definition.filterPattern,
      namespace,
      name: definition.metricName,
      value: valuePath ? { path: valuePath } : { literal: Number(definition.metricValue) },
      dimensions,
      terms,
    };
    if (!matches(filter, doc)) continue;
    const point = pointOf(filter, doc);
    if (typeof point === 'string') throw new Error(`${definition.metricName}: ${point}`);
    points.push(point);
  }
  return points;
}
