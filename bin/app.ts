#!/usr/bin/env node
import { createStageApp } from '../lib/app';
/**
 * CDK entry point (`cdk.json`: `npx tsx bin/app.ts`): the stage's typed configuration in, one stack out.
 * `-c stage=<name>` picks a stage of lib/pipeline-config.ts (default: DEFAULT_STAGE). An unknown stage or
 * an invalid configuration stops here with every problem listed.
 */
import { PipelineConfigError } from '../lib/config';
import { DEFAULT_STAGE, stages } from '../lib/pipeline-config';

try {
  createStageApp({ stages, defaultStage: DEFAULT_STAGE }).app.synth();
} catch (error) {
  if (error instanceof PipelineConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
