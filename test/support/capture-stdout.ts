/**
 * Runs `fn` with stdout and stderr captured, line by line, in the order written (Powertools writes JSON logs
 * and EMF there, outside Lambda too: INFO and EMF to stdout, WARN and ERROR to stderr).
 */
export function captureStdout(fn: () => void): string[] {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write.bind(s));
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }) as typeof stream.write;
  }
  try {
    fn();
  } finally {
    streams.forEach((stream, i) => {
      stream.write = originals[i] as typeof stream.write;
    });
  }
  return lines;
}
