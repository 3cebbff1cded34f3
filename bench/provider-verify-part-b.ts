/**
 * Verification cost of the part-B schemes (HubSpot v3, Twilio form and JSON, SendGrid, Square, Paddle,
 * Discord) against their official SDK verifiers and a bare `node:crypto` primitive over the same bytes,
 * for 2 KB and 256 KB bodies, measured in one run. Prints a table and records
 * bench/results/provider-verify-part-b.{json,md}. Run: `npx tsx bench/provider-verify-part-b.ts`.
 *
 * Each figure is the median over SAMPLES samples of the mean time per call in a batch of about BATCH_MS;
 * ours, the SDK and the bare baseline are sampled round-robin. Every contender must accept its request
 * before it is timed. The bare
 * baseline is the single cryptographic operation the scheme needs (HMAC, ECDSA or Ed25519 verify) with
 * no parsing, header handling or comparison.
 */
import { createHash, createHmac, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Signature } from '@hubspot/api-client';
import { Paddle } from '@paddle/paddle-node-sdk';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { verifyKey } from 'discord-interactions';
import { WebhooksHelper } from 'square';
import twilioSdk from 'twilio';
import { discord } from '../lambdas/providers/discord';
import { hubspot } from '../lambdas/providers/hubspot';
import { paddle } from '../lambdas/providers/paddle';
import { sendgrid } from '../lambdas/providers/sendgrid';
import { square } from '../lambdas/providers/square';
import { twilio } from '../lambdas/providers/twilio';
import type { ProviderScheme, RawRequest } from '../lambdas/providers/types';

const SAMPLES = 15;
const BATCH_MS = 5;
const SIZES = [2 * 1024, 256 * 1024];
const URL = 'https://hooks.example.com/prod/webhooks/source?x=1';

type Fn = () => unknown;
interface Case {
  readonly name: string;
  readonly ours: Fn;
  readonly sdk: Fn;
  readonly bare: Fn;
}

function jsonBody(size: number): string {
  const filler = 'x'.repeat(Math.max(0, size - 40));
  return JSON.stringify([{ id: 'evt_1', event: 'delivered', filler }]).slice(0, size);
}

function req(body: string | Buffer, headers: Record<string, string>, url = URL): RawRequest {
  const lower: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = [v];
  return { method: 'POST', url, headers: lower, body: Buffer.isBuffer(body) ? body : Buffer.from(body) };
}

function run(scheme: ProviderScheme<never>, request: RawRequest, secrets: string[], nowMs: number): Fn {
  return () => {
    const verdict = scheme.verify(request, { secrets, nowMs, toleranceSeconds: 300, options: {} as never });
    return verdict.ok;
  };
}

async function time(fn: Fn, iterations: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const result = fn();
    if (result instanceof Promise) await result;
  }
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

/** Fails the run when a contender does not accept its own request (a bench that measures a rejection lies). */
async function mustAccept(name: string, fn: Fn): Promise<void> {
  const result = await fn();
  if (result === false) throw new Error(`${name} rejected its benchmark request`);
}

/** Calls per batch so one batch takes about BATCH_MS. */
async function batchSize(fn: Fn): Promise<number> {
  const once = await time(fn, 3);
  return Math.max(1, Math.round((BATCH_MS * 1000) / Math.max(once, 0.01)));
}

/** Medians per contender; the three are sampled round-robin so machine noise hits them alike. */
async function measure(c: Case): Promise<[number, number, number]> {
  const fns = [c.ours, c.sdk, c.bare];
  for (const [i, fn] of fns.entries()) await mustAccept(`${c.name} #${i}`, fn);
  const sizes = await Promise.all(fns.map(async (fn) => batchSize(fn)));
  const samples: number[][] = [[], [], []];
  for (let s = 0; s < SAMPLES; s++) {
    for (const [i, fn] of fns.entries()) samples[i]?.push(await time(fn, sizes[i] ?? 1));
  }
  const mid = (xs: number[] = []) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return [mid(samples[0]), mid(samples[1]), mid(samples[2])];
}

function cases(size: number): Case[] {
  const body = jsonBody(size);
  const now = Date.now();
  const out: Case[] = [];

  const hsSecret = 'hubspot-client-secret';
  const hsSig = createHmac('sha256', hsSecret).update(`POST${URL}${body}${now}`).digest('base64');
  out.push({
    name: 'hubspot v3',
    ours: run(
      hubspot,
      req(body, { 'X-HubSpot-Signature-v3': hsSig, 'X-HubSpot-Request-Timestamp': String(now) }),
      [hsSecret],
      now,
    ),
    sdk: () =>
      Signature.isValid({
        signature: hsSig,
        clientSecret: hsSecret,
        requestBody: body,
        url: URL,
        method: 'POST',
        signatureVersion: 'v3',
        timestamp: now,
      }),
    bare: () => createHmac('sha256', hsSecret).update(`POST${URL}${body}${now}`).digest(),
  });

  const token = 'twilio-auth-token';
  const jsonUrl = `${URL}&bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
  const twJsonSig = twilioSdk.getExpectedTwilioSignature(token, jsonUrl, {});
  out.push({
    name: 'twilio json',
    ours: run(twilio, req(body, { 'X-Twilio-Signature': twJsonSig }, jsonUrl), [token], now),
    sdk: () => twilioSdk.validateRequestWithBody(token, twJsonSig, jsonUrl, body),
    bare: () => createHash('sha256').update(body).digest(),
  });

  const params = { Body: 'x'.repeat(Math.max(0, size - 80)), MessageSid: 'SM1', MessageStatus: 'delivered' };
  const form = new URLSearchParams(params).toString();
  const twFormSig = twilioSdk.getExpectedTwilioSignature(token, URL, params);
  out.push({
    name: 'twilio form',
    ours: run(twilio, req(form, { 'X-Twilio-Signature': twFormSig }), [token], now),
    // The SDK needs the parsed parameters; parsing is part of what a receiver must do, so it is timed too.
    sdk: () =>
      twilioSdk.validateRequest(token, twFormSig, URL, Object.fromEntries(new URLSearchParams(form))),
    bare: () =>
      createHmac('sha1', token)
        .update(URL + form)
        .digest(),
  });

  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = ec.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const ts = String(Math.floor(now / 1000));
  const sgSig = sign('sha256', Buffer.from(ts + body), { key: ec.privateKey, dsaEncoding: 'der' });
  const webhook = new EventWebhook();
  const sgKey = webhook.convertPublicKeyToECDSA(spki);
  out.push({
    name: 'sendgrid',
    ours: run(
      sendgrid,
      req(body, {
        'X-Twilio-Email-Event-Webhook-Signature': sgSig.toString('base64'),
        'X-Twilio-Email-Event-Webhook-Timestamp': ts,
      }),
      [spki],
      now,
    ),
    sdk: () => webhook.verifySignature(sgKey, body, sgSig.toString('base64'), ts),
    bare: () => verify('sha256', Buffer.from(ts + body), { key: ec.publicKey, dsaEncoding: 'der' }, sgSig),
  });

  const sqKey = 'square-signature-key';
  const sqSig = createHmac('sha256', sqKey)
    .update(URL + body)
    .digest('base64');
  out.push({
    name: 'square',
    ours: run(square, req(body, { 'x-square-hmacsha256-signature': sqSig }), [sqKey], now),
    sdk: () =>
      WebhooksHelper.verifySignature({
        requestBody: body,
        signatureHeader: sqSig,
        signatureKey: sqKey,
        notificationUrl: URL,
      }),
    bare: () =>
      createHmac('sha256', sqKey)
        .update(URL + body)
        .digest(),
  });

  const pdSecret = 'pdl_ntfset_secret';
  // The SDK reads the real clock and allows 5 s of age only: a timestamp an hour ahead stays valid for it
  // for the whole run, and ours is given that instant as "now".
  const pdTs = String(Math.floor(now / 1000) + 3600);
  const pdHeader = `ts=${pdTs};h1=${createHmac('sha256', pdSecret).update(`${pdTs}:${body}`).digest('hex')}`;
  const paddleClient = new Paddle('pdl_sdbx_apikey_benchmarkonly');
  out.push({
    name: 'paddle',
    ours: run(paddle, req(body, { 'Paddle-Signature': pdHeader }), [pdSecret], Number(pdTs) * 1000),
    sdk: () => paddleClient.webhooks.isSignatureValid(body, pdSecret, pdHeader),
    bare: () => createHmac('sha256', pdSecret).update(`${pdTs}:${body}`).digest(),
  });

  const ed = generateKeyPairSync('ed25519');
  const edHex = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString('hex');
  const edSig = sign(null, Buffer.from(ts + body), ed.privateKey);
  out.push({
    name: 'discord',
    ours: run(
      discord,
      req(body, { 'X-Signature-Ed25519': edSig.toString('hex'), 'X-Signature-Timestamp': ts }),
      [edHex],
      now,
    ),
    sdk: () => verifyKey(body, edSig.toString('hex'), ts, edHex),
    bare: () => verify(null, Buffer.from(ts + body), ed.publicKey, edSig),
  });
  return out;
}

interface Row {
  readonly scheme: string;
  readonly bodyBytes: number;
  readonly oursMicros: number;
  readonly sdkMicros: number;
  readonly bareMicros: number;
  readonly oursVsSdk: number;
  readonly oursVsBare: number;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const size of SIZES) {
    for (const c of cases(size)) {
      const [oursMicros, sdkMicros, bareMicros] = await measure(c);
      rows.push({
        scheme: c.name,
        bodyBytes: size,
        oursMicros,
        sdkMicros,
        bareMicros,
        oursVsSdk: oursMicros / sdkMicros,
        oursVsBare: oursMicros / bareMicros,
      });
    }
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  const lines = [
    '| scheme | body | ours µs | SDK µs | bare µs | ours/SDK | ours/bare |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.scheme} | ${r.bodyBytes / 1024} KB | ${round(r.oursMicros)} | ${round(r.sdkMicros)} | ${round(r.bareMicros)} | ${round(r.oursVsSdk)} | ${round(r.oursVsBare)} |`,
    ),
  ];
  const header = `# Part-B provider verification benchmark\n\nRecorded ${new Date().toISOString()} on Node ${process.version}; medians of ${SAMPLES} samples.\n\n`;
  console.log(lines.join('\n'));
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'provider-verify-part-b.json'),
    `${JSON.stringify({ recordedAt: new Date().toISOString(), node: process.version, samples: SAMPLES, rows }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'provider-verify-part-b.md'), `${header}${lines.join('\n')}\n`);
}

await main();
