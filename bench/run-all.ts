/**
 * `npm run bench`: runs every benchmark module in turn; each prints its table and writes its results
 * under bench/results/. Add a module here by importing its `run…Bench()` and appending it to BENCHES.
 */
import { runCostBench } from './cost';
import { runIngestBench } from './ingest';
import { runVerifyBench } from './verify';

const BENCHES: ReadonlyArray<{ readonly name: string; readonly run: () => Promise<unknown> }> = [
  { name: 'verify', run: () => runVerifyBench() },
  { name: 'cost', run: () => runCostBench() },
  { name: 'ingest', run: () => runIngestBench() },
];

for (const bench of BENCHES) {
  console.log(`\n=== bench: ${bench.name} ===`);
  await bench.run();
}
