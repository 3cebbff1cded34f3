/**
 * The sources this deployment receives webhooks from. Edit this file to add, remove or tune sources;
 * `cdk deploy` and `npm start` (local mode) both read it. Secret values never go here.
 */
import type { PipelineConfig } from './config';

export const pipelineConfig: PipelineConfig = {
  cdp: { baseUrl: 'https://api.example-cdp.com/public/v1' },
  sources: [
    { id: 'stripe', provider: 'stripe', dedupeTtlHours: 96 },
    { id: 'shopify', provider: 'shopify', dedupeTtlHours: 96 },
    { id: 'github', provider: 'github' },
    { id: 'hubspot', provider: 'hubspot' },
    { id: 'segment', provider: 'segment' },
    { id: 'klaviyo', provider: 'klaviyo' },
    { id: 'slack', provider: 'slack' },
    { id: 'twilio', provider: 'twilio' },
    { id: 'sendgrid', provider: 'sendgrid' },
    { id: 'svix', provider: 'standard-webhooks' },
  ],
};
