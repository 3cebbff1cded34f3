/**
 * Opt-in AWS X-Ray tracing with Powertools Tracer, off unless the function's environment has
 * `PIPELINE_TRACING=true` (set with the construct's `tracing` prop, which also turns on Lambda's active
 * tracing). Off, nothing here loads the tracer: it is imported with a dynamic `import()` only once tracing is
 * on, and the default bundle leaves it out (lib/constructs/webhook-function.ts), so a default cold start
 * pays nothing for it.
 *
 * On, each invocation gets a `## <service>.handler` subsegment (cold start and service annotated, errors as
 * metadata, never the event or the response: they carry webhook payloads), and every SDK client made by
 * lambdas/shared/aws-clients.ts records a subsegment per call (fetch calls to the CDP are captured too).
 * The traced `SendMessage` carries the trace header, SQS stores it as the message's `AWSTraceHeader`
 * system attribute, and X-Ray links the processor's trace to the ingest's: one view from the provider's
 * request to the CDP write.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';

/** The environment variable the handlers read; `true` turns tracing on. */
export const TRACING_ENV = 'PIPELINE_TRACING';

/** The npm module loaded when tracing is on; kept out of the default bundle. */
export const TRACER_MODULE = '@aws-lambda-powertools/tracer';

export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[TRACING_ENV] === 'true';
}

/** What this module uses of a Powertools Tracer. */
export type TracerLike = Pick<
  Tracer,
  | 'isTracingEnabled'
  | 'getSegment'
  | 'setSegment'
  | 'annotateColdStart'
  | 'addServiceNameAnnotation'
  | 'addErrorAsMetadata'
  | 'captureAWSv3Client'
>;

/** Clients created before tracing started wait here; only kept while tracing is on. */
const pendingClients: object[] = [];
let instrument: ((client: object) => void) | undefined;

/**
 * Called by the client factories with every client they create: traced at once when the tracer is loaded,
 * else remembered (only when tracing is on) for {@link withTracing} to trace on the first invocation.
 */
export function traceClient<T extends object>(client: T, env: NodeJS.ProcessEnv = process.env): T {
  if (instrument) instrument(client);
  else if (tracingEnabled(env)) pendingClients.push(client);
  return client;
}

async function loadTracer(serviceName: string): Promise<TracerLike> {
  // A literal specifier, so a bundle with tracing on includes the module.
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  return new Tracer({ serviceName });
}

/**
 * Wraps a Lambda handler. With tracing off (decided when the handler module loads, as Lambda's environment
 * is fixed by then) it returns `handler` itself: no wrapper, no import. With it on, the first invocation
 * loads the tracer and traces the SDK clients; every invocation then runs in its own subsegment.
 */
export function withTracing<A extends unknown[], R>(
  service: string,
  handler: (...args: A) => Promise<R>,
  env: NodeJS.ProcessEnv = process.env,
  load: (service: string) => Promise<TracerLike> = loadTracer,
): (...args: A) => Promise<R> {
  if (!tracingEnabled(env)) return handler;
  let ready: Promise<TracerLike | undefined> | undefined;
  const start = async (): Promise<TracerLike | undefined> => {
    let tracer: TracerLike;
    try {
      tracer = await load(service);
    } catch (error) {
      // A bundle built without the tracer (tracing turned on by hand in the console): serve untraced
      // rather than fail every request.
      console.error(`Tracing is on but ${TRACER_MODULE} did not load; running untraced`, error);
      return undefined;
    }
    instrument = (client) => {
      // The x-ray SDK's types name AWS SDK clients loosely; any v3 client fits.
      tracer.captureAWSv3Client(client as Parameters<TracerLike['captureAWSv3Client']>[0]);
    };
    for (const client of pendingClients.splice(0)) instrument(client);
    return tracer;
  };
  return async (...args: A): Promise<R> => {
    ready ??= start();
    const tracer = await ready;
    const segment = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
    if (!tracer || !segment) return await handler(...args);
    const subsegment = segment.addNewSubsegment(`## ${service}.handler`);
    tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await handler(...args);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment.close();
      tracer.setSegment(segment);
    }
  };
}
