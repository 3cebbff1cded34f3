/**
 * The claim-check body's life: how long a body stays readable, restarted whenever a new message points to it,
 * and ended once its event completed. Shared by the processor (dead-lettering, completion) and the on-call
 * CLI (redrive, replay), so every path that creates a message keeps its body alive the same way.
 *
 * The bucket's lifecycle rule expires an object a fixed number of days after its last write (S3 counts
 * from the object's creation, i.e. its Last-Modified time). That number is longer than the DLQ retention
 * (lib/config.ts validates it), so a body outlives every message created no later than its last write. A
 * new message (dead-letter with SendMessage, a CLI redrive or replay, SQS's own redrive task) starts a new
 * retention clock, so the body's clock is restarted too: a copy of the object onto itself, which S3 counts
 * as a new write. A message that SQS moves to the DLQ after `maxReceiveCount` keeps its enqueue time, so
 * it needs nothing.
 */
import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Where a claim-checked body lives. */
export interface ClaimCheckRef {
  readonly bucket: string;
  readonly key: string;
}

/**
 * A message created this long after its body's last write may outlive the body; one created sooner cannot
 * (expiry exceeds the DLQ retention by at least a whole day). Ingest and our own senders write the body
 * milliseconds before the message; SQS's redrive task does not write it at all.
 */
export const CLOCK_RESTART_SLACK_MS = 3_600_000;

/** Whether a message created at `messageSentAtMs` needs the body's clock restarted. */
export function needsClockRestart(lastModifiedMs: number, messageSentAtMs: number): boolean {
  return messageSentAtMs - lastModifiedMs > CLOCK_RESTART_SLACK_MS;
}

/** S3's answer for an object that does not exist (GetObject: NoSuchKey; HeadObject: NotFound / 404). */
export function isMissingObjectError(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.Code === 'NoSuchKey' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

/** S3 wants the copy source URL-encoded; keys hold `/` separators, which stay as they are. */
function copySource(ref: ClaimCheckRef): string {
  return `${ref.bucket}/${ref.key.split('/').map(encodeURIComponent).join('/')}`;
}

/** When the body was last written (its lifecycle clock's start), or undefined when it no longer exists. */
export async function claimCheckLastWritten(s3: S3Client, ref: ClaimCheckRef): Promise<number | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    return head.LastModified?.getTime() ?? 0;
  } catch (error) {
    if (isMissingObjectError(error)) return undefined;
    throw error;
  }
}

/**
 * Restarts the body's lifecycle clock: the object copied onto itself (same bytes, same content type and
 * encryption) is a new write for S3's expiration. False when the object no longer exists.
 */
export async function restartClaimCheckClock(
  s3: S3Client,
  ref: ClaimCheckRef,
  nowMs: number = Date.now(),
): Promise<boolean> {
  try {
    await s3.send(
      new CopyObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        CopySource: copySource(ref),
        // S3 refuses a copy onto itself that changes nothing; REPLACE with a fresh stamp is the change.
        MetadataDirective: 'REPLACE',
        Metadata: { 'retained-at': new Date(nowMs).toISOString() },
        ContentType: 'application/octet-stream',
        ServerSideEncryption: 'AES256',
      }),
    );
    return true;
  } catch (error) {
    if (isMissingObjectError(error)) return false;
    throw error;
  }
}

/** Deletes a body whose event completed (idempotent: deleting a missing object succeeds). */
export async function deleteClaimCheck(s3: S3Client, ref: ClaimCheckRef): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
}
