// One Lambda function as the project deploys it: the serialized handler factory plus the compiled
// pipeline and assets, the native layer, its own role with one inline least-privilege policy and
// its own log group. S3-triggered stages also get no retries and an inspectable failure queue.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, S3Event } from "aws-lambda";
import type { FailedInvocation } from "../pipeline/handlers/failed";
import { codePathOptions, failedFactory } from "./callbacks";
import { NATIVE_LAYER_ENV } from "./layer";
import { failureReporterPolicy, lambdaAssumeRolePolicy, noticeGrants, stagePolicy } from "./policies";
import type { BucketGrant, PolicyDocument } from "./policies";

export const RUNTIME = aws.lambda.Runtime.NodeJS22dX;
/** Must match the layer's binary (linux-x64-gnu) and the machine the artifact test runs on. */
export const ARCHITECTURE = "x86_64";
export const LOG_RETENTION_DAYS = 14;
/** Longest SQS retention, so a failed photo can be inspected and redriven after a weekend. */
export const FAILURE_RETENTION_SECONDS = 14 * 24 * 60 * 60;

interface CommonArgs<E, R> {
  /** Run once as Lambda loads the function: returns its handler (infra/callbacks.ts). */
  factory: aws.lambda.CallbackFactory<E, R>;
  description: string;
  memory: number;
  timeout: number;
  environment: Record<string, pulumi.Input<string>>;
  /** Project root, to list the packages kept out of the zip. */
  root: string;
  /** Only functions that draw images need the native layer. */
  layer?: aws.lambda.LayerVersion;
  /** Resources the function waits for, e.g. its trigger bucket's settings, so S3 changes never overlap. */
  after?: pulumi.Resource[];
}

export interface StageFunctionArgs extends CommonArgs<S3Event, void> {
  /** The S3 calls its handler makes, bucket by bucket, besides claiming notices (every stage does: added here). */
  buckets: pulumi.Input<BucketGrant[]>;
  /** The topics it publishes to (the shared topic and the photo topics under it). */
  topicArns: pulumi.Input<string[]>;
  /** Where notices are claimed (the Final bucket), by the stage and its failure reporter. */
  finalBucketArn: pulumi.Input<string>;
  /** The failure reporter's settings besides its own (bucket, topic and IoT endpoint variables). */
  reporterEnvironment: Record<string, pulumi.Input<string>>;
}

export interface ApiFunctionArgs extends CommonArgs<APIGatewayProxyEvent, APIGatewayProxyResult> {
  policy: (logGroupArn: pulumi.Output<string>) => pulumi.Output<PolicyDocument>;
}

export interface DeployedFunction<E, R> {
  func: aws.lambda.CallbackFunction<E, R>;
  role: aws.iam.Role;
  logGroup: aws.cloudwatch.LogGroup;
}

export interface StageFunction extends DeployedFunction<S3Event, void> {
  failureQueue: aws.sqs.Queue;
  failureReporter: DeployedFunction<FailedInvocation, void>;
}

/**
 * A stage S3 invokes asynchronously, with no retries. A failed invocation (an error, a timeout, out of memory,
 * a crashed runtime) goes to the stage's failure reporter, which tells the guest (photoFailed) unless the stage
 * already did, and keeps the record in the stage's SQS queue for inspection and redrive.
 */
export function stageFunction(name: string, args: StageFunctionArgs): StageFunction {
  const failureQueue = new aws.sqs.Queue(`${name}-failures`, {
    messageRetentionSeconds: FAILURE_RETENTION_SECONDS,
    sqsManagedSseEnabled: true,
  });
  const reporterName = `${name}-failed`;
  const reporterLogs = ownLogGroup(reporterName);
  const failureReporter = deploy(
    reporterName,
    {
      factory: failedFactory,
      description: `Tells the guest when ${name} fails, keeps the event in its queue`,
      memory: 256,
      timeout: 30,
      root: args.root,
      environment: { ...args.reporterEnvironment, FAILED_STAGE: name, FAILURE_QUEUE_URL: failureQueue.url },
    },
    reporterLogs,
    pulumi
      .all([args.topicArns, args.finalBucketArn, failureQueue.arn, reporterLogs.arn])
      .apply(([topicArns, finalArn, queueArn, logGroupArn]) =>
        failureReporterPolicy({ buckets: noticeGrants(finalArn), topicArns, queueArn, logGroupArn }),
      ),
  );
  // Lambda retries the reporter (its notice is claimed once, so the guest is told once); should it still fail,
  // its own record goes to the queue, with the stage's record inside.
  new aws.lambda.FunctionEventInvokeConfig(reporterName, {
    functionName: failureReporter.func.name,
    maximumRetryAttempts: 2,
    destinationConfig: { onFailure: { destination: failureQueue.arn } },
  });

  const logGroup = ownLogGroup(name);
  const policy = pulumi
    .all([args.buckets, args.finalBucketArn, args.topicArns, logGroup.arn, failureReporter.func.arn])
    .apply(([buckets, finalArn, topicArns, logGroupArn, failureReporterArn]) =>
      stagePolicy({ buckets: [...buckets, ...noticeGrants(finalArn)], topicArns, logGroupArn, failureReporterArn }),
    );
  const deployed = deploy(name, args, logGroup, policy);
  // A retry would run the stage again after it already told the guest (photoFailed); the SDK
  // retries transient AWS errors inside the one invocation instead.
  new aws.lambda.FunctionEventInvokeConfig(name, {
    functionName: deployed.func.name,
    maximumRetryAttempts: 0,
    destinationConfig: { onFailure: { destination: failureReporter.func.arn } },
  });
  return { ...deployed, failureQueue, failureReporter };
}

/** A function API Gateway invokes synchronously: the caller sees its errors. */
export function apiFunction(
  name: string,
  args: ApiFunctionArgs,
): DeployedFunction<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const logGroup = ownLogGroup(name);
  return deploy(name, args, logGroup, args.policy(logGroup.arn));
}

// Created up front and named in the function's loggingConfig, so the role needs no
// logs:CreateLogGroup and can write to this group only.
function ownLogGroup(name: string): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(name, {
    name: `/aws/lambda/${pulumi.getProject()}-${pulumi.getStack()}-${name}`,
    retentionInDays: LOG_RETENTION_DAYS,
  });
}

function deploy<E, R>(
  name: string,
  args: CommonArgs<E, R>,
  logGroup: aws.cloudwatch.LogGroup,
  policy: pulumi.Output<PolicyDocument>,
): DeployedFunction<E, R> {
  const role = new aws.iam.Role(name, {
    description: `${args.description} (least privilege)`,
    assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy()),
  });
  const rolePolicy = new aws.iam.RolePolicy(name, {
    role: role.id,
    policy: policy.apply((p) => JSON.stringify(p)),
  });

  // Passing a role stops CallbackFunction from attaching its nine broad managed policies.
  const func = new aws.lambda.CallbackFunction<E, R>(
    name,
    {
      callbackFactory: args.factory,
      description: args.description,
      role,
      runtime: RUNTIME,
      architectures: [ARCHITECTURE],
      memorySize: args.memory,
      timeout: args.timeout,
      layers: args.layer ? [args.layer.arn] : [],
      environment: { variables: { ...(args.layer ? NATIVE_LAYER_ENV : {}), ...args.environment } },
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      codePathOptions: codePathOptions(args.root, args.factory),
    },
    { dependsOn: [rolePolicy, ...(args.after ?? [])] },
  );

  return { func, role, logGroup };
}
