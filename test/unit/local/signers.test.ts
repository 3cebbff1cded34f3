import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Signature as HubspotSignature } from '@hubspot/api-client/lib/src/utils/signature';
import { verify as verifyGithub } from '@octokit/webhooks-methods';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { isValidSlackRequest } from '@slack/bolt/dist/receivers/verify-request';
import { verifyKey as verifyDiscord } from 'discord-interactions';
import { WebhooksHelper as SquareWebhooks } from 'square';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import twilio from 'twilio';
import {
  generateLocalSecret,
  signDiscord,
  signGithub,
  signHubspot,
  signSendgrid,
  signSlack,
  signSquare,
  signStandardWebhooks,
  signStripe,
  signTwilio,
} from '../../../local/signers';

const body = Buffer.from('{"id":"evt_1","type":"customer.subscription.updated","amount":1.5,"note":"héllo"}');
const url = 'https://hooks.example.com/webhooks/source?x=1';

describe('local signers, checked against the providers’ own SDKs', () => {
  it('Stripe: constructEvent accepts the signature', () => {
    const { secret } = generateLocalSecret('stripe');
    const signed = signStripe({ body, url, signingKey: secret });
    const event = new Stripe('sk_test_local').webhooks.constructEvent(
      body,
      signed.headers['Stripe-Signature'] ?? '',
      secret,
    );
    assert.equal(event.id, 'evt_1');
  });

  it('Standard Webhooks: the reference library verifies id, timestamp and signature', () => {
    const { secret } = generateLocalSecret('standard-webhooks');
    const signed = signStandardWebhooks({ body, url, signingKey: secret, deliveryId: 'msg_abc' });
    assert.equal(signed.headers['webhook-id'], 'msg_abc');
    const payload = new StandardWebhook(secret).verify(body.toString(), { ...signed.headers });
    assert.deepEqual(payload, JSON.parse(body.toString()));
  });

  it('GitHub: @octokit/webhooks-methods verifies X-Hub-Signature-256', async () => {
    const signed = signGithub({ body, url, signingKey: 'gh-secret' });
    assert.equal(
      await verifyGithub('gh-secret', body.toString(), signed.headers['X-Hub-Signature-256'] ?? ''),
      true,
    );
  });

  it('Slack: Bolt accepts the v0 signature and timestamp', () => {
    const signed = signSlack({ body, url, signingKey: 'slack-secret' });
    assert.equal(
      isValidSlackRequest({
        signingSecret: 'slack-secret',
        body: body.toString(),
        headers: {
          'x-slack-signature': signed.headers['X-Slack-Signature'] ?? '',
          'x-slack-request-timestamp': Number(signed.headers['X-Slack-Request-Timestamp']),
        },
      }),
      true,
    );
  });

  it('Twilio: form bodies sign URL + sorted parameters; JSON bodies sign the URL with bodySHA256', () => {
    const form = Buffer.from('To=%2B15551234567&MessageStatus=delivered&MessageSid=SM1&Body=a+b');
    const signedForm = signTwilio({
      body: form,
      url,
      signingKey: 'auth-token',
      contentType: 'application/x-www-form-urlencoded',
    });
    const params = Object.fromEntries(new URLSearchParams(form.toString()));
    assert.equal(
      twilio.validateRequest('auth-token', signedForm.headers['X-Twilio-Signature'] ?? '', url, params),
      true,
    );
    const signedJson = signTwilio({ body, url, signingKey: 'auth-token', contentType: 'application/json' });
    assert.match(signedJson.url, /&bodySHA256=[0-9a-f]{64}$/);
    assert.equal(
      twilio.validateRequestWithBody(
        'auth-token',
        signedJson.headers['X-Twilio-Signature'] ?? '',
        signedJson.url,
        body.toString(),
      ),
      true,
    );
  });

  it('HubSpot: the SDK validates the v3 signature', () => {
    const signed = signHubspot({ body, url, signingKey: 'hs-secret' });
    assert.equal(
      HubspotSignature.isValid({
        signatureVersion: 'v3',
        signature: signed.headers['X-HubSpot-Signature-v3'] ?? '',
        clientSecret: 'hs-secret',
        requestBody: body.toString(),
        url,
        method: 'POST',
        timestamp: Number(signed.headers['X-HubSpot-Request-Timestamp']),
      }),
      true,
    );
  });

  it('HubSpot: the SDK validates the v1 signature sent alongside, labelled v1 as HubSpot labels it', () => {
    const signed = signHubspot({ body, url, signingKey: 'hs-secret' });
    assert.equal(signed.headers['X-HubSpot-Signature-Version'], 'v1');
    assert.equal(
      HubspotSignature.isValid({
        signatureVersion: 'v1',
        signature: signed.headers['X-HubSpot-Signature'] ?? '',
        clientSecret: 'hs-secret',
        requestBody: body.toString(),
      }),
      true,
    );
  });

  it('SendGrid: the SDK verifies the ECDSA signature with the generated verification key', () => {
    const { secret, signingKey } = generateLocalSecret('sendgrid');
    assert.ok(signingKey);
    const signed = signSendgrid({ body, url, signingKey });
    const webhook = new EventWebhook();
    assert.equal(
      webhook.verifySignature(
        webhook.convertPublicKeyToECDSA(secret),
        body,
        signed.headers['X-Twilio-Email-Event-Webhook-Signature'] ?? '',
        signed.headers['X-Twilio-Email-Event-Webhook-Timestamp'] ?? '',
      ),
      true,
    );
  });

  it('Square: the SDK verifies the URL-bound signature', async () => {
    const signed = signSquare({ body, url, signingKey: 'sq-key' });
    assert.equal(
      await SquareWebhooks.verifySignature({
        requestBody: body.toString(),
        signatureHeader: signed.headers['x-square-hmacsha256-signature'] ?? '',
        signatureKey: 'sq-key',
        notificationUrl: url,
      }),
      true,
    );
  });

  it('Discord: discord-interactions verifies the Ed25519 signature with the hex public key', async () => {
    const { secret, signingKey } = generateLocalSecret('discord');
    assert.ok(signingKey);
    assert.match(secret, /^[0-9a-f]{64}$/);
    const signed = signDiscord({ body, url, signingKey });
    assert.equal(
      await verifyDiscord(
        body,
        signed.headers['X-Signature-Ed25519'] ?? '',
        signed.headers['X-Signature-Timestamp'] ?? '',
        secret,
      ),
      true,
    );
  });
});
