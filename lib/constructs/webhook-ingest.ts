import { type Acknowledgment, Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { INGEST_LOG_METRICS } from '../../lambdas/shared/log-metrics';
import { ENV } from '../../lambdas/shared/schema';
import {
  type CustomDomainConfig,
  type FrontDoor,
  isCustomDomainName,
  isWafCidr,
  MAX_BODY_BYTES_LIMIT,
} from '../config';
import { WebhookFunction } from './webhook-function';

const NO_AUTHORIZER: Acknowledgment = {
  id: 'AwsSolutions-APIG4',
  reason:
    'Webhook providers cannot use IAM, Cognito or JWT authorizers; every request is authenticated by its provider signature in the ingest function.',
};

/**
 * A regular expression matching a decimal `Content-Length` greater than `limit` (leading zeros and
 * surrounding spaces allowed), for the WAF rule that answers oversized bodies 413 before Lambda's
 * invocation limit turns them into a 5xx. Built digit by digit: WAF regexes cannot compare numbers.
 */
export function contentLengthAbovePattern(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`Invalid limit ${limit}`);
  const digits = String(limit);
  // Longer numbers are always larger.
  const alternatives = [`[1-9][0-9]{${digits.length},}`];
  // Same length: equal up to position i, larger at i, anything after.
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const low = digit + 1;
    const range = low === 9 ? '9' : `[${low}-9]`;
    const rest = digits.length - i - 1;
    alternatives.push(`${digits.slice(0, i)}${range}${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  return `^ *0*(${alternatives.join('|')}) *$`;
}

/** The JSON answer WAF gives an oversized body (the ingest's own error shape). */
const PAYLOAD_TOO_LARGE_BODY = JSON.stringify({
  error: 'payload_too_large',
  message: `The body exceeds the front door's limit of ${MAX_BODY_BYTES_LIMIT} bytes`,
});

/** The webhook route, relative to the API's base URL. */
export const WEBHOOK_ROUTE = { prefix: 'webhooks', parameter: 'sourceId' } as const;

export interface WebhookIngestProps {
  /** Absolute path of the ingest handler entry file. */
  readonly entry: string;
  /** Absolute path of the repository root. */
  readonly projectRoot: string;
  /** Queue the function enqueues accepted events to. */
  readonly queue: sqs.IQueue;
  /** DLQ the function sends authentic but unusable payloads to. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Bucket for bodies above `claimCheckThresholdBytes`. */
  readonly claimCheckBucket: s3.IBucket;
  /** Bodies above this size travel through the bucket. */
  readonly claimCheckThresholdBytes: number;
  /** The `PIPELINE_SOURCES` value (JSON; may contain tokens for secret ARNs). */
  readonly sourcesJson: string;
  /** Signing secrets of every source; the function may read these and nothing else. */
  readonly sourceSecrets: readonly secretsmanager.ISecret[];
  /** Ids of the sources, for their webhook URLs. */
  readonly sourceIds: readonly string[];
  /** @default 'http-api' */
  readonly frontDoor?: FrontDoor;
  /**
   * With `'function-url'`: the ingest function's reserved concurrency, the only bound on what the public URL
   * can make it spend (requests beyond it are answered 429 and providers retry). @default 20
   */
  readonly functionUrlReservedConcurrency?: number;
  /** Steady-state requests per second of the webhook route (API Gateway front doors). @default 100 */
  readonly throttleRateLimit?: number;
  /** Burst capacity of the webhook route. @default 200 */
  readonly throttleBurstLimit?: number;
  /**
   * A regional custom domain mapped at the root of the API (`https://<domainName>/webhooks/<sourceId>`),
   * with TLS 1.2; an alias A record too when `hostedZone` is given. API Gateway front doors only.
   * @default - only the execute-api URL
   */
  readonly customDomain?: CustomDomainConfig;
  /** WAF rate-based rule: requests per IP per 5 minutes. Only with `'rest-api'`. @default 10000 */
  readonly wafRateLimitPer5Minutes?: number;
  /** CIDRs allowed by WAF; others are blocked. Only with `'rest-api'`. @default - no allowlist */
  readonly wafAllowedCidrs?: readonly string[];
  /** Function timeout. @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Function memory in MB. @default 512 */
  readonly memorySize?: number;
  /** Retention of the function's and the API's log groups. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** X-Ray active tracing with Powertools Tracer (see `WebhookFunctionProps.tracing`). @default false */
  readonly tracing?: boolean;
  /** Namespace of the ingest's metrics (EMF and metric filters). */
  readonly metricsNamespace: string;
  /** Powertools service name: the `service` key of log lines and dimension of metrics. */
  readonly serviceName: string;
}

/**
 * The front door: the ingest function and the public `POST /webhooks/{sourceId}` route. By default an HTTP
 * API with stage throttling and JSON access logs; with `frontDoor: 'rest-api'`, a regional REST API that
 * passes every body through as binary (the signature is checked on the raw bytes) behind an AWS WAF web
 * ACL with a per-IP rate-based rule and an optional IP allowlist. No CORS: providers call server to server.
 */
export class WebhookIngest extends Construct {
  public readonly function: WebhookFunction;
  /** Base URL ending in `/`; a source's webhook URL is `${webhookBaseUrl}webhooks/${sourceId}`. */
  public readonly webhookBaseUrl: string;
  public readonly httpApi: apigwv2.HttpApi | undefined;
  public readonly restApi: apigw.RestApi | undefined;
  public readonly webAcl: wafv2.CfnWebACL | undefined;
  /**
   * With a custom domain: its base URL (`https://<domainName>/`), and the regional target DNS must point
   * to (an alias needs both the name and the hosted zone id).
   */
  public readonly customDomain:
    | {
        readonly baseUrl: string;
        readonly targetDomainName: string;
        readonly targetHostedZoneId: string;
      }
    | undefined;
  /** API Gateway access logs; a Function URL has none (the function's own log lines remain). */
  public readonly accessLogs: logs.LogGroup | undefined;
  /** API Gateway 5xx responses (Sum per period). */
  public readonly metricServerErrors: (props?: cloudwatch.MetricOptions) => cloudwatch.Metric;
  /** API Gateway requests (Sum per period). */
  public readonly metricRequests: (props?: cloudwatch.MetricOptions) => cloudwatch.Metric;
  private readonly sourceIds: ReadonlySet<string>;

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id);
    const frontDoor = props.frontDoor ?? 'http-api';
    const wafRequested = props.wafRateLimitPer5Minutes !== undefined || props.wafAllowedCidrs !== undefined;
    if (frontDoor !== 'rest-api' && wafRequested) {
      throw new Error(
        `${id}: WAF settings need frontDoor 'rest-api'; AWS WAF cannot be attached to an HTTP API`,
      );
    }
    const rateLimit = props.throttleRateLimit ?? 100;
    const burstLimit = props.throttleBurstLimit ?? 200;
    if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < 1) {
      throw new Error(`${id}: throttle rate must be positive and burst a positive whole number`);
    }
    for (const cidr of props.wafAllowedCidrs ?? []) {
      if (!isWafCidr(cidr)) throw new Error(`${id}: wafAllowedCidrs entry "${cidr}" is not a CIDR block`);
    }
    for (const sourceId of props.sourceIds) {
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(sourceId)) {
        throw new Error(`${id}: source id "${sourceId}" is not a valid URL path segment`);
      }
    }
    this.sourceIds = new Set(props.sourceIds);
    const domain = props.customDomain;
    if (domain !== undefined && frontDoor === 'function-url') {
      throw new Error(
        `${id}: a custom domain needs an API Gateway front door (a Function URL would need CloudFront)`,
      );
    }
    if (domain !== undefined && !isCustomDomainName(domain.domainName)) {
      throw new Error(`${id}: custom domain "${domain.domainName}" is not a host name`);
    }
    if (!Number.isInteger(props.claimCheckThresholdBytes) || props.claimCheckThresholdBytes < 1) {
      throw new Error(`${id}: claimCheckThresholdBytes must be a positive whole number`);
    }
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const reservedConcurrency =
      frontDoor === 'function-url' ? (props.functionUrlReservedConcurrency ?? 20) : undefined;
    if (props.functionUrlReservedConcurrency !== undefined && frontDoor !== 'function-url') {
      throw new Error(`${id}: functionUrlReservedConcurrency needs frontDoor 'function-url'`);
    }
    if (
      reservedConcurrency !== undefined &&
      !(Number.isInteger(reservedConcurrency) && reservedConcurrency >= 1)
    ) {
      throw new Error(`${id}: functionUrlReservedConcurrency must be a positive whole number`);
    }

    this.function = new WebhookFunction(this, 'Function', {
      entry: props.entry,
      projectRoot: props.projectRoot,
      description: 'Verifies webhook signatures on the raw body and enqueues accepted events',
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize,
      logRetention,
      serviceName: props.serviceName,
      metricsNamespace: props.metricsNamespace,
      reservedConcurrentExecutions: reservedConcurrency,
      tracing: props.tracing,
      metricFilters: INGEST_LOG_METRICS,
      environment: {
        [ENV.sources]: props.sourcesJson,
        [ENV.claimCheckThresholdBytes]: String(props.claimCheckThresholdBytes),
      },
    })
      .bindQueue(ENV.queueUrl, props.queue, 'send')
      .bindQueue(ENV.dlqUrl, props.deadLetterQueue, 'send')
      .bindBucket(ENV.claimCheckBucket, props.claimCheckBucket, 'put')
      .grantSecretsRead(props.sourceSecrets);

    if (frontDoor === 'function-url') {
      // Auth NONE on purpose: providers cannot sign with SigV4; every request is authenticated by its
      // provider signature in the function, as behind API Gateway. The same handler serves the URL's
      // payload format 2.0 events.
      const url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
      this.httpApi = undefined;
      this.restApi = undefined;
      this.webAcl = undefined;
      this.accessLogs = undefined;
      this.customDomain = undefined;
      this.webhookBaseUrl = url.url;
      this.metricServerErrors = (options) =>
        this.function.metric('Url5xxCount', { statistic: 'Sum', ...options });
      this.metricRequests = (options) =>
        this.function.metric('UrlRequestCount', { statistic: 'Sum', ...options });
      return;
    }

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    if (frontDoor === 'http-api') {
      const api = new apigwv2.HttpApi(this, 'HttpApi', {
        description: 'Webhook ingestion (signature verified by the ingest function)',
        createDefaultStage: false,
      });
      const stage = new apigwv2.HttpStage(this, 'DefaultStage', {
        httpApi: api,
        stageName: '$default',
        autoDeploy: true,
        throttle: { rateLimit, burstLimit },
        accessLogSettings: {
          destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
          format: apigw.AccessLogFormat.custom(
            JSON.stringify({
              requestId: '$context.requestId',
              ip: '$context.identity.sourceIp',
              requestTime: '$context.requestTime',
              routeKey: '$context.routeKey',
              path: '$context.path',
              status: '$context.status',
              responseLength: '$context.responseLength',
              responseLatency: '$context.responseLatency',
              integrationStatus: '$context.integrationStatus',
              integrationError: '$context.integrationErrorMessage',
            }),
          ),
        },
      });
      api.addRoutes({
        path: `/${WEBHOOK_ROUTE.prefix}/{${WEBHOOK_ROUTE.parameter}}`,
        methods: [apigwv2.HttpMethod.POST],
        integration: new HttpLambdaIntegration('Ingest', this.function, {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        }),
      });
      Validations.of(api).acknowledge(NO_AUTHORIZER);
      this.httpApi = api;
      this.restApi = undefined;
      this.webAcl = undefined;
      this.webhookBaseUrl = stage.url;
      if (domain === undefined) {
        this.customDomain = undefined;
      } else {
        const domainName = new apigwv2.DomainName(this, 'CustomDomain', {
          domainName: domain.domainName,
          certificate: this.certificate(domain),
          endpointType: apigwv2.EndpointType.REGIONAL,
          securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
        });
        // Mapped at the root, without a mapping key: the rebuilt request URL that URL-signing providers
        // (Twilio, Square, HubSpot) sign is then exactly the registered one.
        new apigwv2.ApiMapping(this, 'CustomDomainMapping', { api, domainName, stage });
        this.customDomain = this.customDomainTarget(
          domain,
          domainName.regionalDomainName,
          domainName.regionalHostedZoneId,
        );
      }
      this.metricServerErrors = (options) => api.metricServerError({ statistic: 'Sum', ...options });
      this.metricRequests = (options) => api.metricCount({ statistic: 'Sum', ...options });
      return;
    }

    const api = new apigw.RestApi(this, 'RestApi', {
      description: 'Webhook ingestion (signature verified by the ingest function)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Every body reaches the function base64-encoded and untouched: signatures cover the raw bytes.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'prod',
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        metricsEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    api.root
      .addResource(WEBHOOK_ROUTE.prefix)
      .addResource(`{${WEBHOOK_ROUTE.parameter}}`)
      .addMethod('POST', new apigw.LambdaIntegration(this.function, { proxy: true }), {
        requestParameters: { [`method.request.path.${WEBHOOK_ROUTE.parameter}`]: true },
        requestValidatorOptions: { validateRequestParameters: true, validateRequestBody: false },
      });
    Validations.of(api).acknowledge(
      NO_AUTHORIZER,
      {
        id: 'AwsSolutions-COG4',
        reason: 'Providers cannot obtain Cognito tokens; requests are authenticated by provider signatures.',
      },
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The path parameter is validated; the body must reach the function byte for byte for signature verification, and is validated there after authentication.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Execution logging needs the account-wide API Gateway CloudWatch role, which this stack deliberately does not own; JSON access logs are enabled on the stage.',
      },
    );

    const visibilityConfig = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: 'rate-limit-per-ip',
        priority: 0,
        action: { block: {} },
        statement: {
          rateBasedStatement: {
            limit: props.wafRateLimitPer5Minutes ?? 10_000,
            aggregateKeyType: 'IP',
            evaluationWindowSec: 300,
          },
        },
        visibilityConfig: visibilityConfig('WebhookRateLimitPerIp'),
      },
      {
        // API Gateway takes 10 MB, but the REST API hands the body to Lambda base64-encoded (4/3) and
        // Lambda refuses invocations over 6 MB, which the gateway answers with a 5xx: "retry me", for a
        // body that can never succeed. A declared length above the largest body any source may accept
        // (MAX_BODY_BYTES_LIMIT, well inside 6 MB once encoded) is answered 413 here instead. WAF sees only
        // the first 16 KB of a body, so the declared Content-Length is what it checks.
        name: 'body-too-large',
        priority: 1,
        action: {
          block: {
            customResponse: { responseCode: 413, customResponseBodyKey: 'payload-too-large' },
          },
        },
        statement: {
          regexMatchStatement: {
            fieldToMatch: { singleHeader: { Name: 'content-length' } },
            regexString: contentLengthAbovePattern(MAX_BODY_BYTES_LIMIT),
            textTransformations: [{ priority: 0, type: 'NONE' }],
          },
        },
        visibilityConfig: visibilityConfig('WebhookBodyTooLarge'),
      },
    ];
    const allowlist = props.wafAllowedCidrs ?? [];
    if (allowlist.length > 0) {
      const ipSetStatements: wafv2.CfnWebACL.StatementProperty[] = [];
      const v4 = allowlist.filter((c) => !c.includes(':'));
      const v6 = allowlist.filter((c) => c.includes(':'));
      for (const [version, addresses] of [
        ['IPV4', v4],
        ['IPV6', v6],
      ] as const) {
        if (addresses.length === 0) continue;
        const set = new wafv2.CfnIPSet(this, `AllowedIps${version}`, {
          scope: 'REGIONAL',
          ipAddressVersion: version,
          addresses: [...addresses],
          description: 'Callers allowed to reach the webhook API',
        });
        ipSetStatements.push({ ipSetReferenceStatement: { arn: set.attrArn } });
      }
      const [only] = ipSetStatements;
      rules.push({
        name: 'allow-listed-ips',
        // After the size rule: an allow action ends evaluation, so allow-listed callers are size-checked too.
        priority: 2,
        action: { allow: {} },
        statement:
          ipSetStatements.length === 1 && only !== undefined
            ? only
            : { orStatement: { statements: ipSetStatements } },
        visibilityConfig: visibilityConfig('WebhookAllowListedIps'),
      });
    }
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: 'Rate limit per IP, body size limit and optional IP allowlist in front of the webhook API',
      // With an allowlist only listed addresses get through; without, everyone may try (signatures decide).
      defaultAction: allowlist.length > 0 ? { block: {} } : { allow: {} },
      visibilityConfig: visibilityConfig('WebhookWebAcl'),
      customResponseBodies: {
        'payload-too-large': { contentType: 'APPLICATION_JSON', content: PAYLOAD_TOO_LARGE_BODY },
      },
      rules,
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: api.deploymentStage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    if (domain === undefined) {
      this.customDomain = undefined;
    } else {
      const domainName = new apigw.DomainName(this, 'CustomDomain', {
        domainName: domain.domainName,
        certificate: this.certificate(domain),
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
      // Root mapping to the `prod` stage: `https://<domain>/webhooks/<sourceId>`, no stage in the path.
      new apigw.BasePathMapping(this, 'CustomDomainMapping', {
        domainName,
        restApi: api,
        stage: api.deploymentStage,
      });
      this.customDomain = this.customDomainTarget(
        domain,
        domainName.domainNameAliasDomainName,
        domainName.domainNameAliasHostedZoneId,
      );
    }
    this.httpApi = undefined;
    this.restApi = api;
    this.webhookBaseUrl = api.url;
    this.metricServerErrors = (options) => api.metricServerError({ statistic: 'Sum', ...options });
    this.metricRequests = (options) => api.metricCount({ statistic: 'Sum', ...options });
  }

  /** The execute-api (or Function URL) URL of one source's webhook endpoint. */
  webhookUrl(sourceId: string): string {
    if (!this.sourceIds.has(sourceId)) throw new Error(`No source ${sourceId} on this front door`);
    return Fn.join('', [this.webhookBaseUrl, `${WEBHOOK_ROUTE.prefix}/${sourceId}`]);
  }

  /** The custom-domain URL of one source's webhook endpoint; undefined without a custom domain. */
  customDomainUrl(sourceId: string): string | undefined {
    if (!this.sourceIds.has(sourceId)) throw new Error(`No source ${sourceId} on this front door`);
    if (this.customDomain === undefined) return undefined;
    return `${this.customDomain.baseUrl}${WEBHOOK_ROUTE.prefix}/${sourceId}`;
  }

  private certificate(domain: CustomDomainConfig): acm.ICertificate {
    return acm.Certificate.fromCertificateArn(this, 'CustomDomainCertificate', domain.certificateArn);
  }

  /** The domain's base URL and DNS target; the alias record too when the hosted zone is given. */
  private customDomainTarget(
    domain: CustomDomainConfig,
    targetDomainName: string,
    targetHostedZoneId: string,
  ): NonNullable<WebhookIngest['customDomain']> {
    if (domain.hostedZone !== undefined) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'CustomDomainZone', {
        hostedZoneId: domain.hostedZone.hostedZoneId,
        zoneName: domain.hostedZone.zoneName,
      });
      new route53.ARecord(this, 'CustomDomainAlias', {
        zone,
        recordName: domain.domainName,
        target: route53.RecordTarget.fromAlias(
          new route53Targets.ApiGatewayv2DomainProperties(targetDomainName, targetHostedZoneId),
        ),
      });
    }
    return { baseUrl: `https://${domain.domainName}/`, targetDomainName, targetHostedZoneId };
  }
}
