// The function sandbox: runs on the Node binary the template's runtime names, loads the bundle the way
// Lambda's Node runtime does (the Handler's module from the asset folder, by file URL, ESM or CommonJS)
// and invokes the export for each event the harness sends over IPC. Plain JavaScript on purpose: it must
// load without tsx, like the bundle itself.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [moduleFile, exportName, functionName, timeoutMs, memoryMb, region] = process.argv.slice(2);
let handler;
try {
  const mod = await import(pathToFileURL(moduleFile).href);
  handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') throw new Error(`${moduleFile} exports no function "${exportName}"`);
} catch (error) {
  process.send?.({
    type: 'init-error',
    error: { name: error?.name, message: error?.message, stack: error?.stack },
  });
  process.exit(1);
}

function contextFor(deadline) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const deadline = Date.now() + Number(timeoutMs);
  try {
    const result = await handler(message.event, contextFor(deadline));
    // Lambda serialises the result as JSON.
    process.send({
      type: 'result',
      id: message.id,
      result: result === undefined ? null : JSON.parse(JSON.stringify(result)),
    });
  } catch (error) {
    process.send({ type: 'result', id: message.id, error: { name: error?.name, message: error?.message } });
  }
});
process.send({ type: 'ready', node: process.version });
