/**
 * The synthesized CloudFormation template as data, and a resolver for the intrinsic functions it uses
 * (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`, pseudo parameters). Every value
 * the harness uses is read from here: it never re-declares a setting the template holds.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: Json; Description?: string }>;
  Parameters?: Record<string, Json>;
}

/** What a logical id resolves to: its `Ref` value and its `Fn::GetAtt` attributes. */
export interface ResolvedResource {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

export interface Pseudo {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
}

/** Resolves intrinsic functions against the local resources created from the template. */
export class Resolver {
  constructor(
    private readonly template: CfnTemplate,
    private readonly resources: ReadonlyMap<string, ResolvedResource>,
    private readonly pseudo: Pseudo,
  ) {}

  private pseudoValue(name: string): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.pseudo.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.pseudo.region}:${this.pseudo.accountId}:stack/${this.pseudo.stackName}/local`;
      case 'AWS::NoValue':
        return '';
      default:
        return undefined;
    }
  }

  private ref(name: string, at: string): string {
    const pseudo = this.pseudoValue(name);
    if (pseudo !== undefined) return pseudo;
    const resource = this.resources.get(name);
    if (resource) return resource.ref;
    const type = this.template.Resources[name]?.Type ?? 'unknown resource';
    throw new TemplateError(`${at}: Ref ${name} (${type}) has no local counterpart`);
  }

  private getAtt(name: string, attribute: string, at: string): string {
    const resource = this.resources.get(name);
    const value = resource?.attributes[attribute];
    if (value !== undefined) return value;
    const type = this.template.Resources[name]?.Type ?? 'unknown resource';
    throw new TemplateError(`${at}: Fn::GetAtt ${name}.${attribute} (${type}) has no local counterpart`);
  }

  /** Resolves a value to a string (what Lambda environment variables and ARNs are). */
  string(value: Json | undefined, at: string): string {
    const resolved = this.value(value, at);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new TemplateError(`${at}: expected a string, got ${JSON.stringify(resolved)}`);
  }

  /** Resolves every intrinsic function inside `value`. */
  value(value: Json | undefined, at: string): Json {
    if (value === undefined) throw new TemplateError(`${at}: missing`);
    if (Array.isArray(value)) return value.map((v, i) => this.value(v, `${at}[${i}]`));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const key = keys[0] as string;
      const arg = value[key] as Json;
      switch (key) {
        case 'Ref':
          return this.ref(String(arg), at);
        case 'Fn::GetAtt': {
          const [name, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(String(name), String(attribute), at);
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, Json[]];
          const list = this.value(parts, at) as Json[];
          return list.map((p) => String(p)).join(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, Json>]);
          return text.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
            if (vars && name in vars) return this.string(vars[name], at);
            if (name.includes('.')) {
              const [res, attr] = name.split('.');
              return this.getAtt(String(res), String(attr), at);
            }
            return this.ref(name, at);
          });
        }
        case 'Fn::Select': {
          const [index, list] = arg as [Json, Json];
          const items = this.value(list, at) as Json[];
          const item = items[Number(this.value(index, at))];
          if (item === undefined) throw new TemplateError(`${at}: Fn::Select index out of range`);
          return item;
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, Json];
          return this.string(text, at).split(sep);
        }
        case 'Fn::GetAZs':
          return [`${this.pseudo.region}a`, `${this.pseudo.region}b`];
        default:
          if (key.startsWith('Fn::'))
            throw new TemplateError(`${at}: ${key} is not supported by the harness`);
      }
    }
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.value(v, `${at}.${k}`);
    return out;
  }
}

/** Logical ids of the resources of one type, in template order. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

export function props(resource: CfnResource): Record<string, Json> {
  return resource.Properties ?? {};
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: Json;
  readonly NotAction?: Json;
  readonly Resource?: Json;
  readonly NotResource?: Json;
  readonly Condition?: Record<string, Record<string, Json>>;
  readonly Principal?: Json;
}

/** Where a statement came from, for messages. */
export interface SourcedStatement {
  readonly statement: PolicyStatement;
  readonly origin: string;
}

function isRefTo(value: Json, logicalId: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value.Ref === logicalId || (Array.isArray(value['Fn::GetAtt']) && value['Fn::GetAtt'][0] === logicalId))
  );
}

/**
 * Every identity-based statement of a role: inline policies, `AWS::IAM::Policy` resources attached to it,
 * and managed policies (only AWS's Lambda basic execution policies are known; others are reported).
 */
export function roleStatements(
  template: CfnTemplate,
  roleLogicalId: string,
): { statements: SourcedStatement[]; unknownManagedPolicies: string[] } {
  const statements: SourcedStatement[] = [];
  const unknownManagedPolicies: string[] = [];
  const role = template.Resources[roleLogicalId];
  const roleProps = role ? props(role) : {};
  for (const inline of (roleProps.Policies as Json[] | undefined) ?? []) {
    const doc = (inline as { PolicyDocument?: { Statement?: PolicyStatement[] } }).PolicyDocument;
    for (const s of doc?.Statement ?? [])
      statements.push({ statement: s, origin: `${roleLogicalId} inline policy` });
  }
  for (const [id, policy] of [
    ...resourcesOfType(template, 'AWS::IAM::Policy'),
    ...resourcesOfType(template, 'AWS::IAM::ManagedPolicy'),
  ]) {
    const p = props(policy);
    const roles = (p.Roles as Json[] | undefined) ?? [];
    if (!roles.some((r) => isRefTo(r, roleLogicalId))) continue;
    const doc = p.PolicyDocument as { Statement?: PolicyStatement[] } | undefined;
    for (const s of doc?.Statement ?? []) statements.push({ statement: s, origin: id });
  }
  for (const arn of (roleProps.ManagedPolicyArns as Json[] | undefined) ?? []) {
    const text = JSON.stringify(arn);
    if (/AWSLambdaBasicExecutionRole/.test(text)) {
      statements.push({
        statement: {
          Effect: 'Allow',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: '*',
        },
        origin: 'AWSLambdaBasicExecutionRole',
      });
    } else if (typeof arn === 'object' && arn !== null && !Array.isArray(arn) && 'Ref' in arn) {
      // A customer managed policy in the same template is found above through its Roles.
    } else {
      unknownManagedPolicies.push(text);
    }
  }
  return { statements, unknownManagedPolicies };
}

/** Resource-based policies: queue policies, bucket policies, secret resource policies, by target logical id. */
export function resourcePolicies(template: CfnTemplate): Map<string, SourcedStatement[]> {
  const byTarget = new Map<string, SourcedStatement[]>();
  const add = (target: string, origin: string, doc: Json | undefined) => {
    const statements = ((doc as { Statement?: PolicyStatement[] } | undefined)?.Statement ?? []).map(
      (statement) => ({ statement, origin }),
    );
    byTarget.set(target, [...(byTarget.get(target) ?? []), ...statements]);
  };
  const refOf = (v: Json | undefined): string | undefined => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    if (typeof v.Ref === 'string') return v.Ref;
    return undefined;
  };
  for (const [id, r] of resourcesOfType(template, 'AWS::SQS::QueuePolicy')) {
    for (const q of (props(r).Queues as Json[] | undefined) ?? []) {
      const target = refOf(q);
      if (target) add(target, id, props(r).PolicyDocument);
    }
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::S3::BucketPolicy')) {
    const target = refOf(props(r).Bucket);
    if (target) add(target, id, props(r).PolicyDocument);
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::SecretsManager::ResourcePolicy')) {
    const target = refOf(props(r).SecretId);
    if (target) add(target, id, props(r).ResourcePolicy);
  }
  return byTarget;
}

/** `Ref` target of a `{ Ref }` or first element of a `{ Fn::GetAtt }`. */
export function logicalIdOf(value: Json | undefined): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const att = value['Fn::GetAtt'];
  if (Array.isArray(att) && typeof att[0] === 'string') return att[0];
  if (typeof att === 'string') return att.split('.')[0];
  return undefined;
}
