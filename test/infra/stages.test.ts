/**
 * Several environments without editing code: `-c stage=<name>` picks a declared stage (lib/pipeline-config.ts),
 * no context keeps today's single stack, an unknown stage lists the declared ones, and two stages live side
 * by side under distinct stack names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addPipelineStack, createStageApp } from '../../lib/app';
import { PipelineConfigError, STAGE_CONTEXT_KEY, selectStage } from '../../lib/config';
import { DEFAULT_STAGE, stages } from '../../lib/pipeline-config';
import { testAppProps } from './support';

function stageApp(stage?: string): ReturnType<typeof createStageApp> {
  return createStageApp({
    stages,
    defaultStage: DEFAULT_STAGE,
    appProps: testAppProps({ context: stage === undefined ? {} : { [STAGE_CONTEXT_KEY]: stage } }),
  });
}

function assemblyOf(app: App, stackName: string): { terminationProtection: boolean } {
  const artifact = app.synth().getStackByName(stackName);
  return { terminationProtection: artifact.terminationProtection === true };
}

describe('stages', () => {
  it('without a stage context, synthesizes the default stage as the one WebhookPipeline stack of before', () => {
    const { app, stack, stageName } = stageApp();
    assert.equal(stageName, DEFAULT_STAGE);
    assert.equal(stack.stackName, 'WebhookPipeline');
    assert.deepEqual(
      app.node.children.filter((c) => Stack.isStack(c)).map((c) => c.node.id),
      ['WebhookPipeline'],
    );
    assert.equal(assemblyOf(app, 'WebhookPipeline').terminationProtection, true, 'production: protected');
  });

  it('-c stage=dev selects the dev stage: its own stack name, its config, no termination protection', () => {
    const { app, stack, stageName } = stageApp('dev');
    assert.equal(stageName, 'dev');
    assert.equal(stack.stackName, 'WebhookPipeline-dev');
    assert.equal(stack.pipeline.config.retainDataOnDelete, false);
    assert.equal(assemblyOf(app, 'WebhookPipeline-dev').terminationProtection, false);
  });

  it('an unknown stage fails with the list of declared stages', () => {
    assert.throws(
      () => stageApp('staging'),
      (error: unknown) =>
        error instanceof PipelineConfigError &&
        /unknown stage "staging": choose one of prod, dev/.test(error.message),
    );
  });

  it('two stages synthesize side by side in one app under distinct stack names', () => {
    const app = new App(testAppProps());
    const prod = selectStage(stages, 'prod');
    const dev = selectStage(stages, 'dev');
    const prodStack = addPipelineStack(app, prod.stackName, prod.config);
    const devStack = addPipelineStack(app, dev.stackName, dev.config);
    const assembly = app.synth();
    assert.deepEqual(assembly.stacks.map((s) => s.stackName).sort(), [
      'WebhookPipeline',
      'WebhookPipeline-dev',
    ]);
    // Same logical ids in both (each stack its own namespace), and no physical names to collide.
    for (const stack of [prodStack, devStack]) {
      const template = Template.fromStack(stack).toJSON() as {
        Resources: Record<string, { Properties?: object }>;
      };
      assert.ok(template.Resources.StateTable962DE04C);
      const table = template.Resources.StateTable962DE04C?.Properties as Record<string, unknown>;
      assert.equal(table.TableName, undefined, 'no physical table name');
    }
  });
});
