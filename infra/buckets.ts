// A private bucket: no public access, owner-enforced objects, encrypted at rest, TLS only, and
// objects that expire (these are guests' faces). S3 answers OperationAborted when two changes to
// one bucket's settings overlap, so each setting waits for the previous one.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyDocument } from "./policies";

export interface PrivateBucketArgs {
  /** Days until objects expire; `undefined` only for a bucket that holds no guest's data (the page's files). */
  expireAfterDays: number | undefined;
  /** Browser origins allowed to upload (presigned PUT URL or POST form); no CORS rule when absent. */
  corsUploadOrigins?: pulumi.Input<string[]>;
}

export interface PrivateBucket {
  name: string;
  bucket: aws.s3.Bucket;
  /** The last settings resource so far: the next change to this bucket waits for it. */
  settled: pulumi.Resource;
}

export function privateBucket(name: string, args: PrivateBucketArgs): PrivateBucket {
  // forceDestroy: `pulumi destroy` at the end of a workshop must not stop at leftover photos.
  const bucket = new aws.s3.Bucket(name, { forceDestroy: true });
  const opts = (after: pulumi.Resource): pulumi.CustomResourceOptions => ({ parent: bucket, dependsOn: [after] });

  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    name,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    { parent: bucket },
  );

  const ownership = new aws.s3.BucketOwnershipControls(
    name,
    {
      bucket: bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    },
    opts(publicAccessBlock),
  );

  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    },
    opts(ownership),
  );

  const lifecycle =
    args.expireAfterDays === undefined
      ? encryption
      : new aws.s3.BucketLifecycleConfiguration(
          name,
          {
            bucket: bucket.id,
            rules: [
              {
                id: "expire-photos",
                status: "Enabled",
                filter: { prefix: "" },
                expiration: { days: args.expireAfterDays },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
              },
            ],
          },
          opts(encryption),
        );

  let last: pulumi.Resource = lifecycle;
  if (args.corsUploadOrigins) {
    last = new aws.s3.BucketCorsConfiguration(
      name,
      {
        bucket: bucket.id,
        corsRules: [
          {
            allowedMethods: ["PUT", "POST"],
            allowedOrigins: args.corsUploadOrigins,
            allowedHeaders: ["Content-Type"],
            exposeHeaders: ["ETag"],
            maxAgeSeconds: 3000,
          },
        ],
      },
      opts(lifecycle),
    );
  }

  return { name, bucket, settled: last };
}

/** The bucket's policy (set once it is locked down); returns the bucket settled after it. */
export function withPolicy(target: PrivateBucket, policy: pulumi.Output<PolicyDocument>): PrivateBucket {
  const bucketPolicy = new aws.s3.BucketPolicy(
    target.name,
    {
      bucket: target.bucket.id,
      policy: policy.apply((p) => JSON.stringify(p)),
    },
    { parent: target.bucket, dependsOn: [target.settled] },
  );
  return { ...target, settled: bucketPolicy };
}

/**
 * S3 ObjectCreated events of `target` invoke `func`. Declared here rather than through `bucket.onObjectCreated`,
 * whose invoke permission names only the bucket's ARN, which holds no account: were the bucket deleted, another
 * account could create one of the same name and invoke the function. The permission also names the account.
 */
export function invokeOnCreated(
  name: string,
  target: PrivateBucket,
  func: aws.lambda.Function,
  accountId: pulumi.Input<string>,
  filterSuffix?: string,
): aws.s3.BucketNotification {
  const permission = new aws.lambda.Permission(name, {
    function: func.name,
    action: "lambda:InvokeFunction",
    principal: "s3.amazonaws.com",
    sourceArn: target.bucket.arn,
    sourceAccount: accountId,
  });
  // S3 checks the permission when the notification is set, and the function waited for the bucket's settings.
  return new aws.s3.BucketNotification(
    name,
    {
      bucket: target.bucket.id,
      lambdaFunctions: [{ events: ["s3:ObjectCreated:*"], lambdaFunctionArn: func.arn, filterSuffix }],
    },
    { parent: target.bucket, dependsOn: [permission] },
  );
}
