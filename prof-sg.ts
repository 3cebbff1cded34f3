import { generateKeyPairSync, sign, verify as verifySignature } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { bundleLikeLambda } from './bench/lib/bundle';
await bundleLikeLambda({ source: "export { SCHEMES } from './lambdas/providers/index';" }, '/tmp/prof/p2.mjs');
const { SCHEMES } = await import(pathToFileURL('/tmp/prof/p2.mjs').href);
const head = '{"id":"evt_bench","type":"invoice.paid","created":1700000000,"data":{"pad":"';
const body = Buffer.from(head + 'x'.repeat(2048 - head.length - 3) + '"}}');
const nowS = String(Math.floor(Date.now() / 1000));
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = ec.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const sgSig = sign('sha256', Buffer.concat([Buffer.from(nowS), body]), { key: ec.privateKey, dsaEncoding: 'der' });
const req = { method: 'POST', url: 'https://x', headers: { 'x-twilio-email-event-webhook-signature': [sgSig.toString('base64')], 'x-twilio-email-event-webhook-timestamp': [nowS] }, body };
const fns: Record<string, () => unknown> = {
  ours: () => SCHEMES.sendgrid.verify(req, { secrets: [spki], nowMs: Date.now(), toleranceSeconds: 300, options: {} }).ok,
  bare: () => verifySignature('sha256', Buffer.concat([Buffer.from(nowS), body]), { key: ec.publicKey, dsaEncoding: 'der' }, sgSig),
};
for (let k = 0; k < 3; k++) for (const [name, f] of Object.entries(fns)) {
  const s = process.hrtime.bigint(); for (let i = 0; i < 500; i++) f(); console.log(name, Number(process.hrtime.bigint() - s) / 500 / 1000);
}
