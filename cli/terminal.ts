/**
 * The CLI's contact with the terminal, injected so commands can be run in-process by tests: output streams,
 * progress bars (stderr only, and only on a TTY without --json) and confirmations.
 */
import { createInterface } from 'node:readline/promises';
import cliProgress from 'cli-progress';

export interface Terminal {
  /** Writes to stdout; results (tables, JSON) only. */
  out(text: string): void;
  /** Writes to stderr; notes, warnings and errors. */
  err(text: string): void;
  /** The stream progress bars draw on, when stderr is an interactive terminal. */
  readonly progressStream: NodeJS.WritableStream | undefined;
  /** True when a person can answer a confirmation prompt. */
  readonly interactive: boolean;
  /** Asks a question and returns the typed answer. */
  ask(question: string): Promise<string>;
}

/** The real terminal of this process. */
export function processTerminal(): Terminal {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

export interface Progress {
  update(value: number, total?: number): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update: () => undefined, stop: () => undefined };

/** A progress bar on stderr, or a no-op when output is JSON or stderr is not a terminal. */
export function startProgress(terminal: Terminal, json: boolean, label: string, total: number): Progress {
  const stream = terminal.progressStream;
  if (json || !stream) return NO_PROGRESS;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {value}/{total} | {duration_formatted}`,
      clearOnComplete: true,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let currentTotal = Math.max(1, total);
  bar.start(currentTotal, 0);
  return {
    update(value, newTotal) {
      // SQS depth is approximate: grow the bar rather than overflow it.
      const wanted = Math.max(currentTotal, newTotal ?? 0, value);
      if (wanted !== currentTotal) {
        currentTotal = wanted;
        bar.setTotal(currentTotal);
      }
      bar.update(value);
    },
    stop: () => bar.stop(),
  };
}

/** Raised when a destructive command is not confirmed; the entry point exits with code 2. */
export class ConfirmationError extends Error {
  override readonly name = 'ConfirmationError';
}

/**
 * Confirms a destructive action. `--yes` skips the question; without a terminal to ask on, the action is
 * refused (a script must say --yes explicitly). With `typed`, the person must type that exact text.
 */
export async function confirm(
  terminal: Terminal,
  options: { readonly yes: boolean; readonly action: string; readonly typed?: string },
): Promise<void> {
  if (options.yes) return;
  if (!terminal.interactive) {
    throw new ConfirmationError(
      `Refusing to ${options.action} without confirmation: no terminal to ask on. Re-run with --yes.`,
    );
  }
  if (options.typed !== undefined) {
    const answer = await terminal.ask(`About to ${options.action}. Type "${options.typed}" to confirm: `);
    if (answer.trim() !== options.typed) throw new ConfirmationError(`Not confirmed: nothing was done.`);
    return;
  }
  const answer = await terminal.ask(`About to ${options.action}. Continue? [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new ConfirmationError('Not confirmed: nothing was done.');
}
