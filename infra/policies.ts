// IAM and resource policy documents as pure functions of ARNs, so the program wires them and the
// tests read them back without AWS. Each grants only the calls the handlers make.

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, string | string[]>;
  Action: string | string[];
  /** Absent only in trust policies, where IAM refuses it. */
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });

/** S3 actions on one bucket's objects (`<arn>/*`) and, rarely, on the bucket itself. */
export interface BucketGrant {
  bucketArn: string;
  objectActions: string[];
  bucketActions?: string[];
}

/** Everything a stage function may touch: its buckets, one topic, its logs, its failure queue. */
export interface StageGrants {
  buckets: BucketGrant[];
  topicArn: string;
  logGroupArn: string;
  failureQueueArn: string;
}

export function stagePolicy(g: StageGrants): PolicyDocument {
  return doc(
    ...g.buckets.flatMap(bucketStatements),
    { Sid: "Notify", Effect: "Allow", Action: "iot:Publish", Resource: g.topicArn },
    ...logStatements(g.logGroupArn),
    { Sid: "ReportFailure", Effect: "Allow", Action: "sqs:SendMessage", Resource: g.failureQueueArn },
  );
}

function bucketStatements(g: BucketGrant): Statement[] {
  const statements: Statement[] = [{ Effect: "Allow", Action: g.objectActions, Resource: `${g.bucketArn}/*` }];
  if (g.bucketActions?.length) statements.push({ Effect: "Allow", Action: g.bucketActions, Resource: g.bucketArn });
  return statements;
}

/**
 * The grants match the handlers' S3 calls (pipeline/handlers/stage.ts, storage.ts, notify.ts):
 * the two image stages GetObject their input, HeadObject (= s3:GetObject) and PutObject their
 * output, and need ListBucket on the output bucket so a missing output is a 404, not a 403;
 * notify reads the final object's metadata (HeadObject = s3:GetObject: the keyer's hint) and reads and
 * writes its "notified" tag.
 */
export const imageStageGrants = (inputArn: string, outputArn: string): BucketGrant[] => [
  { bucketArn: inputArn, objectActions: ["s3:GetObject"] },
  { bucketArn: outputArn, objectActions: ["s3:GetObject", "s3:PutObject"], bucketActions: ["s3:ListBucket"] },
];

export const notifyGrants = (finalArn: string): BucketGrant[] => [
  { bucketArn: finalArn, objectActions: ["s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging"] },
];

/** The presign function signs PUT URLs with its own credentials: the URL can do only what it may. */
export function presignPolicy(uploadBucketArn: string, logGroupArn: string): PolicyDocument {
  return doc(
    { Sid: "SignUploads", Effect: "Allow", Action: "s3:PutObject", Resource: `${uploadBucketArn}/*` },
    ...logStatements(logGroupArn),
  );
}

// The log group is created beforehand (and named in the function's loggingConfig), so the role
// needs no logs:CreateLogGroup and reaches no other group.
function logStatements(logGroupArn: string): Statement[] {
  return [
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${logGroupArn}:*`,
    },
  ];
}

export function tlsOnlyStatement(bucketArn: string): Statement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return doc(tlsOnlyStatement(bucketArn));
}

/** The final bucket: TLS only, and readable by exactly one CloudFront distribution through OAC. */
export function finalBucketPolicy(bucketArn: string, distributionArn: string): PolicyDocument {
  return doc(tlsOnlyStatement(bucketArn), {
    Sid: "CloudFrontReadsFinals",
    Effect: "Allow",
    Principal: { Service: "cloudfront.amazonaws.com" },
    Action: "s3:GetObject",
    Resource: `${bucketArn}/*`,
    Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
  });
}

export function lambdaAssumeRolePolicy(): PolicyDocument {
  return doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" });
}

/** Only unauthenticated identities of this one pool may take the browser role. */
export function cognitoUnauthAssumeRolePolicy(identityPoolId: string): PolicyDocument {
  return doc({
    Effect: "Allow",
    Principal: { Federated: "cognito-identity.amazonaws.com" },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: {
      StringEquals: { "cognito-identity.amazonaws.com:aud": identityPoolId },
      "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "unauthenticated" },
    },
  });
}

/** The IoT resource ARNs a topic name maps to (Connect/Publish/Subscribe/Receive use different ones). */
export interface IotArns {
  clients: string;
  topic: string;
  topicFilter: string;
}

export function iotArns(partition: string, region: string, accountId: string, topic: string): IotArns {
  const base = `arn:${partition}:iot:${region}:${accountId}`;
  return { clients: `${base}:client/*`, topic: `${base}:topic/${topic}`, topicFilter: `${base}:topicfilter/${topic}` };
}

/**
 * A browser may connect, subscribe to the notifications topic and receive from it: nothing else.
 * For unauthenticated Cognito identities this IAM role is all IoT Core checks (no IoT policy).
 */
export function browserIotPolicy(arns: IotArns): PolicyDocument {
  return doc(
    { Sid: "Connect", Effect: "Allow", Action: "iot:Connect", Resource: arns.clients },
    { Sid: "Subscribe", Effect: "Allow", Action: "iot:Subscribe", Resource: arns.topicFilter },
    { Sid: "Receive", Effect: "Allow", Action: "iot:Receive", Resource: arns.topic },
  );
}
