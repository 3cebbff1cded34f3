import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ClaimCheckBucketProps {
  /**
   * Days before an object expires. Must outlive the DLQ retention, or a redriven message finds its
   * body gone.
   */
  readonly expiration: Duration;
  /** What happens to the bucket when the stack is deleted (it must be empty to be deleted). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Holds webhook bodies too large to travel inline in an SQS message. Encrypted (SSE-S3), TLS-only, every
 * form of public access blocked, objects owned by the bucket owner (ACLs off), objects expire.
 */
export class ClaimCheckBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ClaimCheckBucketProps) {
    super(scope, id);
    const days = props.expiration.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1) {
      throw new Error(`${id}: expiration must be a whole number of days, at least 1`);
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-claim-checks', enabled: true, expiration: props.expiration },
        {
          id: 'abort-incomplete-uploads',
          enabled: true,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Transient claim-check objects written and read only by the pipeline roles; a second logging bucket would add cost without an audit need. Enable CloudTrail S3 data events if one arises.',
    });
  }
}
