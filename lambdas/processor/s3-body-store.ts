/**
 * Claim-checked bodies on S3: read, kept alive while a message points to them, deleted once their event
 * completed. Its own module so the processor loads it (and the S3 client) only for the first claim-checked
 * body (LazyS3BodyStore in aws-ports.ts); tests and tools use it directly.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  claimCheckLastWritten,
  deleteClaimCheck,
  isMissingObjectError,
  needsClockRestart,
  restartClaimCheckClock,
} from '../shared/claim-check';
import type { EnvelopeBody } from '../shared/envelope';
import { type BodyStore, ClaimCheckMissingError, type RetainOutcome } from './ports';

export class S3BodyStore implements BodyStore {
  constructor(
    private readonly s3: S3Client,
    private readonly now: () => number = Date.now,
  ) {}

  async retain(
    body: EnvelopeBody,
    options: { readonly messageSentAtMs?: number } = {},
  ): Promise<RetainOutcome> {
    if (body.kind === 'inline') return 'inline';
    const ref = { bucket: body.bucket, key: body.key };
    if (options.messageSentAtMs !== undefined) {
      const lastWritten = await claimCheckLastWritten(this.s3, ref);
      if (lastWritten === undefined) return 'missing';
      if (!needsClockRestart(lastWritten, options.messageSentAtMs)) return 'current';
    }
    return (await restartClaimCheckClock(this.s3, ref, this.now())) ? 'restarted' : 'missing';
  }

  async discard(body: EnvelopeBody): Promise<void> {
    if (body.kind === 'inline') return;
    await deleteClaimCheck(this.s3, { bucket: body.bucket, key: body.key });
  }

  async load(body: EnvelopeBody): Promise<Buffer> {
    if (body.kind === 'inline') return Buffer.from(body.base64, 'base64');
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: body.bucket, Key: body.key }));
      if (!result.Body)
        throw new ClaimCheckMissingError(`Claim check s3://${body.bucket}/${body.key} is empty`);
      return Buffer.from(await result.Body.transformToByteArray());
    } catch (error) {
      if (isMissingObjectError(error)) {
        throw new ClaimCheckMissingError(`Claim check s3://${body.bucket}/${body.key} no longer exists`);
      }
      throw error;
    }
  }
}
