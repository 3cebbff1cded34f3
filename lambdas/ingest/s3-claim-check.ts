/**
 * The claim-check store on S3: PutObject with server-side encryption. Its own module because the ingest
 * needs it only for bodies above the claim-check threshold: the handler loads it (and the S3 client) with a
 * dynamic `import()`, which the bundle keeps in a separate chunk that ordinary requests never parse.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ClaimCheckStore } from './ports';

export class S3ClaimCheckStore implements ClaimCheckStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer): Promise<{ readonly bucket: string }> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/octet-stream',
        // Explicit SSE-S3: encrypted even if the bucket's default encryption were changed, and no KMS grant needed.
        ServerSideEncryption: 'AES256',
      }),
    );
    return { bucket: this.bucket };
  }
}
