// IAM and resource policy documents as pure functions of ARNs, so the program wires them and the
// tests read them back without AWS. Each grants only the calls the handlers make.
import { NOTIFIED_PREFIX } from "../pipeline/keys";

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
  /** Narrows objectActions to keys under this prefix (e.g. ".notified/"). */
  objectPrefix?: string;
  objectActions: string[];
  bucketActions?: string[];
}

/** Everything a stage function may touch: its buckets, its topics, its logs, its failure reporter. */
export interface StageGrants {
  buckets: BucketGrant[];
  /** The shared topic and the photo topics under it. */
  topicArns: string[];
  logGroupArn: string;
  /** Lambda invokes an on-failure destination with the function's own role. */
  failureReporterArn: string;
}

export function stagePolicy(g: StageGrants): PolicyDocument {
  return doc(
    ...g.buckets.flatMap(bucketStatements),
    { Sid: "Notify", Effect: "Allow", Action: "iot:Publish", Resource: g.topicArns },
    ...logStatements(g.logGroupArn),
    { Sid: "ReportFailure", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: g.failureReporterArn },
  );
}

/** The failure reporter: claims notices, publishes photoFailed, keeps records in its stage's queue. */
export function failureReporterPolicy(g: {
  buckets: BucketGrant[];
  topicArns: string[];
  queueArn: string;
  logGroupArn: string;
}): PolicyDocument {
  return doc(
    ...g.buckets.flatMap(bucketStatements),
    { Sid: "Notify", Effect: "Allow", Action: "iot:Publish", Resource: g.topicArns },
    ...logStatements(g.logGroupArn),
    { Sid: "KeepFailedEvents", Effect: "Allow", Action: "sqs:SendMessage", Resource: g.queueArn },
  );
}

function bucketStatements(g: BucketGrant): Statement[] {
  const statements: Statement[] = [
    { Effect: "Allow", Action: g.objectActions, Resource: `${g.bucketArn}/${g.objectPrefix ?? ""}*` },
  ];
  if (g.bucketActions?.length) statements.push({ Effect: "Allow", Action: g.bucketActions, Resource: g.bucketArn });
  return statements;
}

/**
 * The grants match the handlers' S3 calls (pipeline/handlers/stage.ts, storage.ts, notify.ts):
 * the two image stages GetObject their input (If-Match the event's ETag), HeadObject (= s3:GetObject) and
 * conditionally PutObject their output, and need ListBucket on the output bucket so a missing output is a 404,
 * not a 403. Chromakey also deletes an upload it refuses as too big, If-Match its ETag (a
 * conditional delete, which S3 allows only with s3:GetObject as well). Every stage (and failure reporter) claims
 * the notices it publishes: it creates (If-None-Match) and, when publishing fails, deletes marker objects under
 * `.notified/` in the Final bucket (noticeGrants). Notify also reads the final object's metadata (HeadObject =
 * s3:GetObject: the keyer's hint).
 */
export const imageStageGrants = (inputArn: string, outputArn: string, deletesInput = false): BucketGrant[] => [
  { bucketArn: inputArn, objectActions: deletesInput ? ["s3:GetObject", "s3:DeleteObject"] : ["s3:GetObject"] },
  { bucketArn: outputArn, objectActions: ["s3:GetObject", "s3:PutObject"], bucketActions: ["s3:ListBucket"] },
];

export const noticeGrants = (finalArn: string): BucketGrant[] => [
  { bucketArn: finalArn, objectPrefix: NOTIFIED_PREFIX, objectActions: ["s3:PutObject", "s3:DeleteObject"] },
];

/** Notify reads the souvenir's metadata (the keyer's hint); its notices are granted with every stage's. */
export const notifyGrants = (finalArn: string): BucketGrant[] => [
  { bucketArn: finalArn, objectActions: ["s3:GetObject"] },
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

/**
 * The final bucket: TLS only, and readable by exactly one CloudFront distribution through OAC, except the
 * notify stage's claim markers (they are nobody's business).
 */
export function finalBucketPolicy(bucketArn: string, distributionArn: string): PolicyDocument {
  const cloudFront = {
    Principal: { Service: "cloudfront.amazonaws.com" },
    Action: "s3:GetObject",
    Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
  };
  return doc(
    tlsOnlyStatement(bucketArn),
    { Sid: "CloudFrontReadsFinals", Effect: "Allow", ...cloudFront, Resource: `${bucketArn}/*` },
    { Sid: "NotTheMarkers", Effect: "Deny", ...cloudFront, Resource: `${bucketArn}/${NOTIFIED_PREFIX}*` },
  );
}

/** The page's bucket: TLS only, and readable by exactly its CloudFront distribution through OAC. */
export function pageBucketPolicy(bucketArn: string, distributionArn: string): PolicyDocument {
  return doc(tlsOnlyStatement(bucketArn), {
    Sid: "CloudFrontReadsThePage",
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
  /** The one client id a browser may connect as: its own Cognito identity id (an IAM policy variable). */
  ownClient: string;
  /** The shared (broadcast) topic, `<topic>`. */
  topic: string;
  /** Every photo's own topic, `<topic>/<photoId>`. */
  photoTopics: string;
  topicFilter: string;
  photoTopicFilters: string;
  /** Topic filters holding an MQTT wildcard: IAM's `*` matches `+` and `#` too, so these are denied by name. */
  wildcardFilters: string[];
}

export function iotArns(partition: string, region: string, accountId: string, topic: string): IotArns {
  const base = `arn:${partition}:iot:${region}:${accountId}`;
  return {
    ownClient: `${base}:client/\${cognito-identity.amazonaws.com:sub}`,
    topic: `${base}:topic/${topic}`,
    photoTopics: `${base}:topic/${topic}/*`,
    topicFilter: `${base}:topicfilter/${topic}`,
    photoTopicFilters: `${base}:topicfilter/${topic}/*`,
    wildcardFilters: [`${base}:topicfilter/*+*`, `${base}:topicfilter/*#*`],
  };
}

/** Where the stages publish: each photo's topic, and the shared one (the stage reads `broadcast` at run time). */
export const publishTopics = (arns: IotArns): string[] => [arns.topic, arns.photoTopics];

/**
 * A browser (unauthenticated Cognito identity) may connect as itself only, so it cannot knock another guest's
 * connection off, and subscribe to and receive photo topics by exact name: a photo's id (a random UUID) is what
 * lets it hear that photo. Wildcard filters (`notifications/#` would hear every guest) are denied outright, the
 * shared topic is allowed only while the stack broadcasts on it, and nothing may be published. For
 * unauthenticated Cognito identities this IAM role is all IoT Core checks (no IoT policy).
 */
export function browserIotPolicy(arns: IotArns, broadcast: boolean): PolicyDocument {
  return doc(
    { Sid: "ConnectAsOwnIdentity", Effect: "Allow", Action: "iot:Connect", Resource: arns.ownClient },
    {
      Sid: "SubscribeByName",
      Effect: "Allow",
      Action: "iot:Subscribe",
      Resource: [arns.photoTopicFilters, ...(broadcast ? [arns.topicFilter] : [])],
    },
    {
      Sid: "Receive",
      Effect: "Allow",
      Action: "iot:Receive",
      Resource: [arns.photoTopics, ...(broadcast ? [arns.topic] : [])],
    },
    { Sid: "NoWildcardSubscriptions", Effect: "Deny", Action: "iot:Subscribe", Resource: arns.wildcardFilters },
  );
}
