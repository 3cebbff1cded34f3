/**
 * `npm run bench`: runs every benchmark in turn, each in a process of its own; each prints its table and
 * writes its results under bench/results/. Separate processes because the handlers keep their AWS clients
 * and secrets as module singletons (as they do in Lambda): a benchmark that ran the pipeline against its own
 * emulators would otherwise leave the next one talking to endpoints that are gone.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BENCHES: readonly string[] = ['verify', 'cost', 'ingest', 'throughput'];

function run(name: string): Promise<number> {
  const file = join(import.meta.dirname, `${name}.ts`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

for (const name of BENCHES) {
  console.log(`\n=== bench: ${name} ===`);
  const code = await run(name);
  if (code !== 0) {
    console.error(`bench ${name} failed (exit ${code})`);
    process.exit(code);
  }
}
