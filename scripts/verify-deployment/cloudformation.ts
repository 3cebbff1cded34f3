/**
 * A CloudFormation stand-in that knows one stack: the synthesized template, "deployed" locally. It answers
 * DescribeStacks (AWS query protocol) with the template's Outputs resolved against the local resources, so
 * the on-call CLI finds its queues and table through `--stack` exactly as it does in an account.
 */
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from './loopback';

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startCloudFormationStandIn(
  stackName: string,
  outputs: Readonly<Record<string, string>>,
  region: string,
  accountId: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const action = form.get('Action');
      const name = form.get('StackName');
      const reply = (status: number, xml: string) => {
        res.writeHead(status, { 'content-type': 'text/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>${xml}`);
      };
      if (action !== 'DescribeStacks' || (name !== stackName && name !== null)) {
        return reply(
          400,
          `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xmlEscape(name ?? '')} does not exist (${xmlEscape(action ?? '')})</Message></Error><RequestId>local</RequestId></ErrorResponse>`,
        );
      }
      const members = Object.entries(outputs)
        .map(
          ([key, value]) =>
            `<member><OutputKey>${xmlEscape(key)}</OutputKey><OutputValue>${xmlEscape(value)}</OutputValue></member>`,
        )
        .join('');
      reply(
        200,
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${xmlEscape(stackName)}</StackName><StackId>arn:aws:cloudformation:${region}:${accountId}:stack/${xmlEscape(stackName)}/local</StackId><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>${new Date().toISOString()}</CreationTime><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  return listenOnLoopback(server);
}
