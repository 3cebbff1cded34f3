#!/usr/bin/env node
import { createApp } from '../lib/app';
/**
 * CDK entry point (`cdk.json`: `npx tsx bin/app.ts`): the typed configuration in, one stack out.
 * An invalid configuration stops here with every problem listed.
 */
import { PipelineConfigError } from '../lib/config';
import { pipelineConfig } from '../lib/pipeline-config';

try {
  createApp({ config: pipelineConfig }).app.synth();
} catch (error) {
  if (error instanceof PipelineConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
