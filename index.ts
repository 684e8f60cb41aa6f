// theme-park-photos on AWS: three private buckets, one Lambda stage per bucket (chromakey ->
// composite -> notify over IoT Core), a presign API for uploads, a CDN for the finished photos,
// browser access to the notifications topic, and the guests' page on a CDN of its own. The stages
// run the same compiled handlers as the local stack (pipeline/handlers, bundled per function into
// dist/functions; see infra/callbacks.ts).
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { invokeOnCreated, privateBucket, withPolicy } from "./infra/buckets";
import { checkBuildOutputs, presignFactory, stageFactories } from "./infra/callbacks";
import { privateCdn } from "./infra/cdn";
import { readSettings } from "./infra/config";
import { corsGatewayResponses } from "./infra/gateway-responses";
import { apiFunction, ARCHITECTURE, RUNTIME, stageFunction } from "./infra/functions";
import { checkLayer, LAYER_DIR, layerContents } from "./infra/layer";
import { webPage } from "./infra/web-page";
import { DEFAULT_KEY_OPTIONS } from "./pipeline/chromakey";
import { THEMES } from "./pipeline/themes";
import {
  browserIotPolicy,
  cognitoUnauthAssumeRolePolicy,
  finalBucketPolicy,
  imageStageGrants,
  notifyGrants,
  iotArns,
  presignPolicy,
  publishTopics,
  tlsOnlyBucketPolicy,
} from "./infra/policies";

// Pulumi runs the program in the project folder; the zip and layer paths are relative to it.
const root = process.cwd();
checkBuildOutputs(root);
checkLayer(root);

const config = new pulumi.Config();
const settings = readSettings((key) => config.get(key), Object.keys(DEFAULT_KEY_OPTIONS), THEMES);
const prefix = `${pulumi.getProject()}-${pulumi.getStack()}`.replace(/[^A-Za-z0-9_-]/g, "-");

// --- Where we deploy ----------------------------------------------------------------------------
const partition = aws.getPartitionOutput().partition;
const region = aws.getRegionOutput().region;
const accountId = aws.getCallerIdentityOutput().accountId;
const iotAddress = aws.iot.getEndpointOutput({ endpointType: "iot:Data-ATS" }).endpointAddress;
const iotEndpoint = pulumi.interpolate`https://${iotAddress}`;
const topicArns = pulumi.all([partition, region, accountId]).apply(([p, r, a]) => iotArns(p, r, a, settings.topic));

// --- The guests' page, on a CDN of its own; its origin may upload as the configured ones may -----
const page = webPage(prefix, root);
const allowedOrigins = settings.allowedOrigins.includes("*")
  ? pulumi.output(settings.allowedOrigins)
  : page.origin.apply((origin) => [...settings.allowedOrigins, origin]);

// --- Buckets: Upload -> Processing -> Final -----------------------------------------------------
const upload = privateBucket("upload", { expireAfterDays: 1, corsUploadOrigins: allowedOrigins });
const processing = privateBucket("processing", { expireAfterDays: 1 });
const final = privateBucket("final", { expireAfterDays: settings.retentionDays });

// --- CDN: the only reader of the Final bucket ---------------------------------------------------

// Like AWS's managed CachingOptimized, plus the `v` query parameter in the cache key: each souvenir's URL carries
// its object's ETag (pipeline/keys.ts finalImageUrl), so a re-upload to the same key is a new cache entry and
// the old souvenir, cached as immutable, is never served for it. No invalidations needed.
const souvenirCache = new aws.cloudfront.CachePolicy("souvenirs", {
  name: `${prefix}-souvenirs`,
  comment: "Souvenirs by key and version (?v=<ETag>)",
  minTtl: 1,
  defaultTtl: 86400,
  maxTtl: 31536000,
  parametersInCacheKeyAndForwardedToOrigin: {
    cookiesConfig: { cookieBehavior: "none" },
    headersConfig: { headerBehavior: "none" },
    queryStringsConfig: { queryStringBehavior: "whitelist", queryStrings: { items: ["v"] } },
    enableAcceptEncodingGzip: true,
    enableAcceptEncodingBrotli: true,
  },
});

const cdn = privateCdn({
  name: "final",
  prefix,
  comment: "souvenir photos",
  bucket: final,
  cachePolicyId: souvenirCache.id,
});
const finalUrlBase = pulumi.interpolate`https://${cdn.domainName}`;

// --- Bucket policies: TLS only everywhere; Final readable by the distribution alone -------------
const uploadLocked = withPolicy(upload, upload.bucket.arn.apply(tlsOnlyBucketPolicy));
const processingLocked = withPolicy(processing, processing.bucket.arn.apply(tlsOnlyBucketPolicy));
const finalLocked = withPolicy(
  final,
  pulumi.all([final.bucket.arn, cdn.arn]).apply(([b, d]) => finalBucketPolicy(b, d)),
);

// --- The native-code layer: sharp's and @napi-rs/canvas's Linux binaries ------------------------
const nativeLayer = new aws.lambda.LayerVersion("native", {
  layerName: `${prefix}-native-linux-x64`,
  description: layerContents(root),
  code: new pulumi.asset.FileArchive(LAYER_DIR),
  compatibleRuntimes: [RUNTIME],
  compatibleArchitectures: [ARCHITECTURE],
});

// --- Stages: one function per bucket, each allowed only its own step ----------------------------
// Every stage may tell the guest, once per event: it claims each notice in the Final bucket first
// (pipeline/notifier.ts publishOnce). So may each stage's failure reporter (infra/functions.ts).
const notices = {
  NOTIFY_TOPIC: settings.topic,
  NOTIFY_BROADCAST: String(settings.broadcast),
  IOT_ENDPOINT: iotEndpoint,
  FINAL_BUCKET: final.bucket.bucket,
};
const reporting = {
  topicArns: topicArns.apply(publishTopics),
  finalBucketArn: final.bucket.arn,
  reporterEnvironment: notices,
};

const chromakey = stageFunction("chromakey", {
  factory: stageFactories.chromakey,
  description: "Upload -> Processing: keys out the green screen",
  ...settings.chromakey,
  root,
  layer: nativeLayer,
  after: [uploadLocked.settled],
  environment: {
    UPLOAD_BUCKET: upload.bucket.bucket,
    PROCESSING_BUCKET: processing.bucket.bucket,
    MAX_UPLOAD_BYTES: String(settings.maxUploadBytes),
    ...notices,
    ...(settings.keyingOptions ? { CHROMAKEY_OPTIONS: settings.keyingOptions } : {}),
  },
  // It deletes uploads it refuses as too big.
  buckets: pulumi
    .all([upload.bucket.arn, processing.bucket.arn])
    .apply(([input, output]) => imageStageGrants(input, output, true)),
  ...reporting,
});

const composite = stageFunction("composite", {
  factory: stageFactories.composite,
  description: "Processing -> Final: puts the guest into a theme-park scene",
  ...settings.composite,
  root,
  layer: nativeLayer,
  after: [processingLocked.settled],
  environment: {
    PROCESSING_BUCKET: processing.bucket.bucket,
    ...notices,
    ...(settings.theme ? { THEME: settings.theme } : {}),
    ...(settings.parkName ? { PARK_NAME: settings.parkName } : {}),
  },
  buckets: pulumi
    .all([processing.bucket.arn, final.bucket.arn])
    .apply(([input, output]) => imageStageGrants(input, output)),
  ...reporting,
});

const notify = stageFunction("notify", {
  factory: stageFactories.notify,
  description: "Final -> IoT topic: tells the guest the souvenir is ready",
  ...settings.notify,
  root,
  after: [finalLocked.settled],
  environment: { FINAL_URL_BASE: finalUrlBase, ...notices },
  buckets: final.bucket.arn.apply(notifyGrants),
  ...reporting,
  // Its reporter tells the guest the souvenir is ready (the souvenir exists), so it needs the souvenir's URL.
  reporterEnvironment: { FINAL_URL_BASE: finalUrlBase, ...notices },
});

// S3 invokes each stage for its own bucket, in this account only. Composite and notify take only the
// suffix their stage writes (notify never wakes for its own `.notified/` markers).
invokeOnCreated("chromakey", upload, chromakey.func, accountId);
invokeOnCreated("composite", processing, composite.func, accountId, ".png");
invokeOnCreated("notify", final, notify.func, accountId, ".jpg");

// --- Presign API: GET /Upload hands out a presigned PUT for the Upload bucket -------------------
const presign = apiFunction("presign", {
  factory: presignFactory,
  description: "GET /Upload: a presigned PUT URL for one new photo",
  memory: 256,
  timeout: 10,
  root,
  environment: {
    UPLOAD_BUCKET: upload.bucket.bucket,
    UPLOAD_URL_EXPIRES: String(settings.uploadUrlExpires),
    MAX_UPLOAD_BYTES: String(settings.maxUploadBytes),
    ALLOWED_ORIGINS: allowedOrigins.apply((origins) => origins.join(",")),
  },
  policy: (logGroupArn) =>
    pulumi.all([upload.bucket.arn, logGroupArn]).apply(([bucketArn, logs]) => presignPolicy(bucketArn, logs)),
});

// Neither API Gateway nor awsx has a CORS switch: the handler answers OPTIONS and adds the headers,
// and API Gateway's own errors (429 when throttled, 5xx) carry them through its gateway responses.
const api = new awsx.classic.apigateway.API("photos-api", {
  stageName: "live",
  gatewayResponses: corsGatewayResponses(settings.allowedOrigins),
  routes: [
    { path: "/Upload", method: "GET", eventHandler: presign.func },
    { path: "/Upload", method: "OPTIONS", eventHandler: presign.func },
  ],
});

new aws.apigateway.MethodSettings("photos-api-throttle", {
  restApi: api.restAPI.id,
  stageName: api.stage.stageName,
  methodPath: "*/*",
  settings: { throttlingRateLimit: settings.apiRateLimit, throttlingBurstLimit: settings.apiBurstLimit },
});

// --- Browsers: unauthenticated Cognito identities may only listen, each to the photos it names ---
const browsers = new aws.cognito.IdentityPool("browsers", {
  identityPoolName: `${prefix} browsers`,
  allowUnauthenticatedIdentities: true,
  allowClassicFlow: false,
});

const browserRole = new aws.iam.Role("browser", {
  description: "Unauthenticated photo guests: receive notifications, nothing else",
  assumeRolePolicy: browsers.id.apply((id) => JSON.stringify(cognitoUnauthAssumeRolePolicy(id))),
});
new aws.iam.RolePolicy("browser", {
  role: browserRole.id,
  policy: topicArns.apply((arns) => JSON.stringify(browserIotPolicy(arns, settings.broadcast))),
});
new aws.cognito.IdentityPoolRoleAttachment("browsers", {
  identityPoolId: browsers.id,
  roles: { unauthenticated: browserRole.arn },
});

// --- Outputs ------------------------------------------------------------------------------------
export const uploadUrl = pulumi.interpolate`${api.url}Upload`;
export const uploadBucketName = upload.bucket.bucket;
export const processingBucketName = processing.bucket.bucket;
export const finalBucketName = final.bucket.bucket;
export const cdnDomain = cdn.domainName;
export { iotEndpoint };
export const topic = settings.topic;
export const broadcast = settings.broadcast;
export const identityPoolId = browsers.id;
export { region };
export const failureQueues = {
  chromakey: chromakey.failureQueue.url,
  composite: composite.failureQueue.url,
  notify: notify.failureQueue.url,
};
/** Everything the front-end's config needs; the local stack serves the same keys (minus identityPoolId). */
export const frontendConfig = {
  uploadUrl,
  mqttUrl: pulumi.interpolate`wss://${iotAddress}/mqtt`,
  topic: settings.topic,
  broadcast: settings.broadcast,
  region,
  imageBaseUrl: finalUrlBase,
  identityPoolId: browsers.id,
};
/** The guests' page, served with this frontendConfig: open it on a phone to try the deployment. */
export const pageUrl = page.publish(frontendConfig);
