/**
 * IAM as the deployed role would see it: which action and resource an AWS API request is, and whether
 * the role's statements (and the target's resource policy) allow it. Deliberately a subset of IAM: the
 * features the template uses; anything else is reported rather than guessed.
 */
import type { Json, PolicyStatement, SourcedStatement } from './template';

export interface ActionRequest {
  /** `sqs:SendMessage` */
  readonly action: string;
  /** The resource ARN, or `*` for actions without one. */
  readonly resource: string;
}

export interface Decision {
  readonly allowed: boolean;
  /** Why, for messages: the granting statement, the explicit deny, or "no statement allows". */
  readonly reason: string;
  /** Conditions the evaluator could not decide (reported, treated pessimistically). */
  readonly unevaluated: readonly string[];
}

/** Values of the condition keys the harness knows for a call. */
export type ConditionContext = Readonly<Record<string, string | undefined>>;

function list(value: Json | undefined): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
}

/** IAM wildcard match: `*` any run, `?` one character. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, caseInsensitive ? 'is' : 's').test(value);
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined)
    return list(statement.Action).some((a) => wildcardMatch(a, action, true));
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((a) => wildcardMatch(a, action, true));
  return false;
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.Resource !== undefined)
    return list(statement.Resource).some((r) => wildcardMatch(r, resource));
  if (statement.NotResource !== undefined)
    return !list(statement.NotResource).some((r) => wildcardMatch(r, resource));
  // Resource policies may omit Resource only when the resource is implied; treat as this resource.
  return true;
}

function principalMatches(statement: PolicyStatement, roleArn: string): boolean {
  const principal = statement.Principal;
  if (principal === undefined) return true; // identity policy
  if (principal === '*') return true;
  if (typeof principal === 'object' && principal !== null && !Array.isArray(principal)) {
    const aws = list(principal.AWS);
    return aws.some((p) => p === '*' || p === roleArn || wildcardMatch(p, roleArn));
  }
  return false;
}

type Tri = true | false | 'unknown';

/** One condition block: every operator and key must hold (AND); any value of a key may match (OR). */
function conditionHolds(
  condition: Record<string, Record<string, Json>> | undefined,
  context: ConditionContext,
  unevaluated: string[],
): Tri {
  if (!condition) return true;
  let result: Tri = true;
  for (const [rawOperator, keys] of Object.entries(condition)) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    for (const [key, expected] of Object.entries(keys)) {
      const actual = context[key] ?? context[key.toLowerCase()];
      const values = list(expected);
      let holds: Tri;
      if (actual === undefined) {
        if (ifExists) holds = true;
        else if (operator === 'Null') holds = values.includes('true');
        else {
          unevaluated.push(`${rawOperator} ${key}`);
          holds = 'unknown';
        }
      } else {
        switch (operator) {
          case 'Bool':
          case 'StringEquals':
          case 'ArnEquals':
          case 'NumericEquals':
            holds = values.some((v) => v === actual);
            break;
          case 'StringEqualsIgnoreCase':
            holds = values.some((v) => v.toLowerCase() === actual.toLowerCase());
            break;
          case 'StringNotEquals':
          case 'ArnNotEquals':
            holds = !values.some((v) => v === actual);
            break;
          case 'StringLike':
          case 'ArnLike':
            holds = values.some((v) => wildcardMatch(v, actual));
            break;
          case 'StringNotLike':
          case 'ArnNotLike':
            holds = !values.some((v) => wildcardMatch(v, actual));
            break;
          case 'Null':
            holds = values.includes('false');
            break;
          default:
            unevaluated.push(`${rawOperator} ${key}`);
            holds = 'unknown';
        }
      }
      if (holds === false) return false;
      if (holds === 'unknown') result = 'unknown';
    }
  }
  return result;
}

function describe(s: SourcedStatement): string {
  return `${s.origin}${s.statement.Sid ? ` (${s.statement.Sid})` : ''}`;
}

/**
 * IAM's evaluation for one principal in one account: an explicit Deny in either policy wins; otherwise an
 * Allow in the identity policies or in the resource policy grants. An Allow whose condition cannot be
 * decided does not grant; a Deny whose condition cannot be decided applies (pessimistic both ways).
 */
export function evaluate(
  identity: readonly SourcedStatement[],
  resourcePolicy: readonly SourcedStatement[],
  request: ActionRequest,
  roleArn: string,
  context: ConditionContext,
): Decision {
  const unevaluated: string[] = [];
  let grant: SourcedStatement | undefined;
  for (const s of [...identity, ...resourcePolicy]) {
    if (!principalMatches(s.statement, roleArn)) continue;
    if (!actionMatches(s.statement, request.action) || !resourceMatches(s.statement, request.resource))
      continue;
    const holds = conditionHolds(s.statement.Condition, context, unevaluated);
    if (s.statement.Effect === 'Deny' && holds !== false) {
      return { allowed: false, reason: `explicitly denied by ${describe(s)}`, unevaluated };
    }
    if (s.statement.Effect === 'Allow' && holds === true && !grant) grant = s;
  }
  if (grant) return { allowed: true, reason: `allowed by ${describe(grant)}`, unevaluated };
  return {
    allowed: false,
    reason: `no statement of the role's policies allows it${unevaluated.length ? ` (undecided conditions: ${unevaluated.join(', ')})` : ''}`,
    unevaluated,
  };
}

/**
 * The actions a role's statements grant, expanded against the actions the harness knows, per resource
 * pattern: used to list granted actions no call used.
 */
export function grantedActions(identity: readonly SourcedStatement[]): string[] {
  const out = new Set<string>();
  for (const { statement } of identity) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of list(statement.Action)) out.add(action);
  }
  return [...out].sort();
}
