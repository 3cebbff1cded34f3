/**
 * Synthesizes the CDK app in-process, exactly as `cdk synth` would (the context of cdk.json, local
 * esbuild bundling), into a directory of its own, and reads back the template and the Lambda assets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../lib/app';
import type { PipelineConfig } from '../../lib/config';
import { type CfnTemplate, props, resourcesOfType, TemplateError } from './template';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Synthesized {
  readonly stackName: string;
  readonly outdir: string;
  readonly template: CfnTemplate;
}

/** `cdk synth` of the app with `config` into `outdir` (with the feature flags of cdk.json). */
export function synthesize(config: PipelineConfig, outdir: string): Synthesized {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const { app, stack } = createApp({
    config,
    appProps: {
      outdir,
      // What the CDK CLI adds: asset and path metadata (the asset folder of each function comes from it).
      context: {
        ...(cdkJson.context ?? {}),
        'aws:cdk:enable-asset-metadata': true,
        'aws:cdk:enable-path-metadata': true,
      },
    },
  });
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  return {
    stackName: stack.stackName,
    outdir: assembly.directory,
    template: JSON.parse(readFileSync(join(assembly.directory, artifact.templateFile), 'utf8')),
  };
}

export interface FunctionArtifact {
  readonly logicalId: string;
  /** The folder Lambda would unzip: `cdk.out/asset.<hash>`. */
  readonly assetDir: string;
  /** The module file the runtime would load for `Handler` (`index.handler` → index.mjs/.js/.cjs). */
  readonly moduleFile: string;
  readonly exportName: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly roleLogicalId: string | undefined;
}

/** Lambda's defaults when the template leaves a setting out. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;
const LAMBDA_DEFAULT_MEMORY_MB = 128;

/** Every `AWS::Lambda::Function` with its bundle on disk, located through the asset metadata. */
export function functionArtifacts(synth: Synthesized): FunctionArtifact[] {
  return resourcesOfType(synth.template, 'AWS::Lambda::Function').map(([logicalId, resource]) => {
    const p = props(resource);
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') {
      throw new TemplateError(`${logicalId}: no aws:asset:path metadata, cannot find its bundle`);
    }
    const assetDir = join(synth.outdir, assetPath);
    const handler = String(p.Handler ?? '');
    const dot = handler.lastIndexOf('.');
    if (dot <= 0) throw new TemplateError(`${logicalId}: Handler "${handler}" is not <module>.<export>`);
    const base = handler.slice(0, dot);
    const moduleFile = ['.mjs', '.js', '.cjs']
      .map((ext) => join(assetDir, `${base}${ext}`))
      .find((file) => existsSync(file));
    if (!moduleFile) {
      throw new TemplateError(
        `${logicalId}: Handler "${handler}" names ${base}.{mjs,js,cjs}, absent from ${assetDir}`,
      );
    }
    const role = p.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
    return {
      logicalId,
      assetDir,
      moduleFile,
      exportName: handler.slice(dot + 1),
      runtime: String(p.Runtime ?? ''),
      timeoutSeconds: Number(p.Timeout ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS),
      memoryMb: Number(p.MemorySize ?? LAMBDA_DEFAULT_MEMORY_MB),
      roleLogicalId: role?.['Fn::GetAtt']?.[0],
    };
  });
}
