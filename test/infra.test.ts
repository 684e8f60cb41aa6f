// The Pulumi program under pulumi.runtime.setMocks: every resource and link `pulumi up` would
// create, read back from what the program registers (no AWS, no Pulumi CLI).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { failedFactory, stageFactories, presignFactory } from "../infra/callbacks";
import { readSettings } from "../infra/config";
import { corsResponseParameters } from "../infra/gateway-responses";
import { ensureLayer, LAYER_DIR } from "../infra/layer";
import { browserIotPolicy, iotArns } from "../infra/policies";

const ROOT = path.resolve(__dirname, "..");
const ACCOUNT = "123456789012";
const REGION = "us-west-2";
const IOT_ADDRESS = "a1b2c3-ats.iot.us-west-2.amazonaws.com";
const CDN_DOMAIN = "d1234abcd.cloudfront.net";
const PAGE_DOMAIN = "d5678page.cloudfront.net";
const POOL_ID = "us-west-2:0000-pool";
const API_ID = "api123";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  state: Record<string, any>;
  /** The props as the program passed them (transformations see them before serialization). */
  props: Record<string, any>;
  opts: pulumi.ResourceOptions;
}

// Outputs a provider would compute, shaped like AWS's, so links between resources can be followed.
function computed(type: string, name: string, inputs: Record<string, any>): { id: string; state: Record<string, any> } {
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = `${name}-bucket-7f3a`;
      return {
        id: bucket,
        state: {
          bucket,
          arn: `arn:aws:s3:::${bucket}`,
          bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com`,
        },
      };
    }
    case "aws:lambda/function:Function": {
      const fn = `${name}-fn-1a2b`;
      return {
        id: fn,
        state: { name: fn, arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn}`, invokeArn: `invoke:${fn}` },
      };
    }
    case "aws:iam/role:Role":
      return { id: `${name}-role`, state: { name: `${name}-role`, arn: `arn:aws:iam::${ACCOUNT}:role/${name}-role` } };
    case "aws:sqs/queue:Queue":
      return {
        id: `${name}-q`,
        state: {
          arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}-q`,
          url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}-q`,
        },
      };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: inputs.name, state: { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${inputs.name}` } };
    case "aws:lambda/layerVersion:LayerVersion":
      return { id: `${name}-layer`, state: { arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:${inputs.layerName}:1` } };
    case "aws:cloudfront/originAccessControl:OriginAccessControl":
      return { id: "E2OAC", state: {} };
    case "aws:cloudfront/distribution:Distribution": {
      const id = name === "page" ? "E3PAGE" : "E1DIST";
      const domainName = name === "page" ? PAGE_DOMAIN : CDN_DOMAIN;
      return { id, state: { arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/${id}`, domainName } };
    }
    case "aws:cognito/identityPool:IdentityPool":
      return { id: POOL_ID, state: { arn: `arn:aws:cognito-identity:${REGION}:${ACCOUNT}:identitypool/${POOL_ID}` } };
    case "aws:apigateway/restApi:RestApi":
      return {
        id: API_ID,
        state: { executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}`, rootResourceId: "root" },
      };
    case "aws:apigateway/stage:Stage":
      return {
        id: `${API_ID}-stage`,
        state: { invokeUrl: `https://${API_ID}.execute-api.${REGION}.amazonaws.com/${inputs.stageName}` },
      };
    default:
      return { id: `${name}-id`, state: {} };
  }
}

function invoked(token: string, inputs: Record<string, any>): Record<string, any> {
  switch (token) {
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:index/getRegion:getRegion":
      return { name: REGION, region: REGION, id: REGION };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: "test", id: ACCOUNT };
    case "aws:iot/getEndpoint:getEndpoint":
      // Only the ATS data endpoint is right for publishing and for browsers.
      return inputs.endpointType === "iot:Data-ATS" ? { endpointAddress: IOT_ADDRESS, id: IOT_ADDRESS } : {};
    default:
      throw new Error(`unexpected invoke ${token}`);
  }
}

const registered: Registered[] = [];
const propsByUrnKey = new Map<string, { props: Record<string, any>; opts: pulumi.ResourceOptions }>();
let outputs: Record<string, any> = {};

const all = (type: string): Registered[] => registered.filter((r) => r.type === type);
function one(type: string, name: string): Registered {
  const found = registered.filter((r) => r.type === type && r.name === name);
  expect(found, `${type} ${name}`).to.have.length(1);
  return found[0];
}
const bucketOf = (name: string) => one("aws:s3/bucket:Bucket", name);
const fnOf = (name: string) => one("aws:lambda/function:Function", name);
const policyOf = (r: Registered) => JSON.parse(r.inputs.policy) as { Statement: Array<Record<string, any>> };
const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));
const arr = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** "action resource" pairs an Allow policy grants, for exact comparison; also refuses wildcards. */
function grants(doc: { Statement: Array<Record<string, any>> }): string[] {
  const pairs: string[] = [];
  for (const s of doc.Statement) {
    expect(s.Effect, JSON.stringify(s)).to.equal("Allow");
    expect(s).to.not.have.property("NotAction");
    expect(s).to.not.have.property("NotResource");
    for (const action of arr<string>(s.Action)) {
      expect(action, "no wildcard actions").to.not.include("*");
      for (const resource of arr<string>(s.Resource)) pairs.push(`${action} ${resource}`);
    }
  }
  return pairs.sort();
}

describe("Pulumi program (mocked AWS)", function () {
  this.timeout(120_000);

  before(async function () {
    for (const name of ["chromakey", "composite", "notify", "presign"]) {
      const file = path.join(ROOT, "dist", "pipeline", "handlers", `${name}.js`);
      if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before this test`);
    }
    ensureLayer(ROOT); // the program refuses to deploy without it; built from the npm registry once

    pulumi.runtime.setAllConfig({
      "aws:region": REGION,
      "theme-park-photos:allowedOrigins": JSON.stringify(["https://photos.example.com", "http://localhost:3000"]),
      "theme-park-photos:retentionDays": "9",
      "theme-park-photos:parkName": "Test Park",
      "theme-park-photos:keyingOptions": JSON.stringify({ spillSuppression: 0.5 }),
      "theme-park-photos:compositeMemory": "1024",
    });
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          const { id, state } = computed(args.type, args.name, args.inputs);
          const { props, opts } = propsByUrnKey.get(`${args.type}::${args.name}`) ?? { props: {}, opts: {} };
          registered.push({ type: args.type, name: args.name, inputs: args.inputs, state, props, opts });
          return { id, state: { ...args.inputs, ...state } };
        },
        call: (args) => invoked(args.token, args.inputs),
      },
      "theme-park-photos",
      "test",
      false,
    );
    outputs = (await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((t) => {
        propsByUrnKey.set(`${t.type}::${t.name}`, { props: t.props, opts: t.opts });
        return undefined;
      });
      // Loaded only now, after setMocks, so every resource it creates goes to the mocks.
      const program = require("../index") as Record<string, unknown>;
      // @pulumi/aws creates each bucket's BucketNotification on `beforeExit`, after the program.
      process.emit("beforeExit", 0);
      return { ...program };
    })) as Record<string, any>;
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  });

  describe("buckets", () => {
    const expectedDays: Record<string, number> = { upload: 1, processing: 1, final: 9 };

    it("creates exactly the Upload, Processing and Final buckets and the page's, destroyable with their photos", () => {
      expect(
        all("aws:s3/bucket:Bucket")
          .map((b) => b.name)
          .sort(),
      ).to.deep.equal(["final", "page", "processing", "upload"]);
      for (const b of all("aws:s3/bucket:Bucket")) {
        expect(b.inputs.forceDestroy).to.equal(true);
        for (const deprecated of [
          "acl",
          "policy",
          "corsRules",
          "lifecycleRules",
          "serverSideEncryptionConfiguration",
          "website",
        ]) {
          expect(b.inputs, `${b.name}.${deprecated}`).to.not.have.property(deprecated);
        }
      }
    });

    for (const name of ["upload", "processing", "final"]) {
      it(`${name}: public access blocked, owner-enforced, encrypted, TLS only, expires after ${expectedDays[name]} day(s)`, () => {
        const id = bucketOf(name).state.bucket;
        const pab = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name).inputs;
        expect(pab).to.include({
          bucket: id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });

        const ownership = one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", name).inputs;
        expect(ownership.bucket).to.equal(id);
        expect(ownership.rule).to.deep.equal({ objectOwnership: "BucketOwnerEnforced" });

        const sse = one(
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          name,
        ).inputs;
        expect(sse.bucket).to.equal(id);
        expect(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("AES256");

        const lifecycle = one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", name).inputs;
        expect(lifecycle.bucket).to.equal(id);
        expect(lifecycle.rules).to.have.length(1);
        expect(lifecycle.rules[0]).to.deep.include({ status: "Enabled", expiration: { days: expectedDays[name] } });
        expect(lifecycle.rules[0].abortIncompleteMultipartUpload).to.deep.equal({ daysAfterInitiation: 1 });
        expect(lifecycle.rules[0].filter).to.deep.equal({ prefix: "" });

        const policy = one("aws:s3/bucketPolicy:BucketPolicy", name);
        expect(policy.inputs.bucket).to.equal(id);
        const deny = policyOf(policy).Statement.filter((s) => s.Sid === "DenyInsecureTransport");
        expect(deny).to.have.length(1);
        expect(deny[0]).to.deep.include({
          Principal: "*",
          Action: "s3:*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        expect(deny[0].Resource).to.have.members([`arn:aws:s3:::${id}`, `arn:aws:s3:::${id}/*`]);
      });
    }

    it("allows the browser PUT and form POST (Content-Type, ETag exposed) on Upload only, from the configured origins", () => {
      const cors = all("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration");
      expect(cors.map((c) => c.name)).to.deep.equal(["upload"]);
      expect(cors[0].inputs.bucket).to.equal(bucketOf("upload").state.bucket);
      expect(cors[0].inputs.corsRules).to.have.length(1);
      expect(cors[0].inputs.corsRules[0]).to.deep.include({
        allowedMethods: ["PUT", "POST"],
        // The configured origins, and the page this stack serves.
        allowedOrigins: ["https://photos.example.com", "http://localhost:3000", `https://${PAGE_DOMAIN}`],
        allowedHeaders: ["Content-Type"],
        exposeHeaders: ["ETag"],
      });
    });

    it("lets only the CloudFront distribution read Final, and nobody read Upload or Processing", () => {
      const finalStatements = policyOf(one("aws:s3/bucketPolicy:BucketPolicy", "final")).Statement;
      const cloudFront = {
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Condition: { StringEquals: { "AWS:SourceArn": `arn:aws:cloudfront::${ACCOUNT}:distribution/E1DIST` } },
      };
      expect(finalStatements.filter((s) => s.Sid !== "DenyInsecureTransport")).to.deep.equal([
        {
          Sid: "CloudFrontReadsFinals",
          Effect: "Allow",
          ...cloudFront,
          Resource: `arn:aws:s3:::${bucketOf("final").state.bucket}/*`,
        },
        // The notify stage's claim markers live beside the souvenirs; the CDN may not read them.
        {
          Sid: "NotTheMarkers",
          Effect: "Deny",
          ...cloudFront,
          Resource: `arn:aws:s3:::${bucketOf("final").state.bucket}/.notified/*`,
        },
      ]);
      for (const name of ["upload", "processing"]) {
        expect(
          policyOf(one("aws:s3/bucketPolicy:BucketPolicy", name)).Statement.filter((s) => s.Effect === "Allow"),
        ).to.deep.equal([]);
      }
    });
  });

  describe("ordering", () => {
    /** The type::name of each resource `r` waits for explicitly (dependsOn). */
    async function waitsFor(r: Registered): Promise<string[]> {
      const deps = await valueOf(pulumi.output(r.opts.dependsOn ?? []));
      const urns = await Promise.all(arr(deps as pulumi.Resource | pulumi.Resource[]).map((d) => valueOf(d.urn)));
      return urns.map((urn) => urn.split("::").slice(-2).join("::").split("$").pop()!);
    }

    it("changes one setting of a bucket at a time (S3 refuses overlapping changes with OperationAborted)", async () => {
      const chain = (bucket: string, types: string[]) => types.map((t) => `aws:s3/${t}::${bucket}`);
      const settings = [
        "bucketPublicAccessBlock:BucketPublicAccessBlock",
        "bucketOwnershipControls:BucketOwnershipControls",
        "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      ];
      for (const bucket of ["upload", "processing", "final"]) {
        const steps = chain(bucket, [
          ...settings,
          ...(bucket === "upload" ? ["bucketCorsConfiguration:BucketCorsConfiguration"] : []),
          "bucketPolicy:BucketPolicy",
        ]);
        for (let i = 1; i < steps.length; i++) {
          const [type, name] = [steps[i].split("::")[0], bucket];
          expect(await waitsFor(one(type, name)), steps[i]).to.deep.equal([steps[i - 1]]);
        }
      }
    });

    it("creates each stage (and so its bucket notification) only after its trigger bucket is locked down", async () => {
      for (const [bucket, stage] of [
        ["upload", "chromakey"],
        ["processing", "composite"],
        ["final", "notify"],
      ]) {
        expect(await waitsFor(fnOf(stage))).to.have.members([
          `aws:iam/rolePolicy:RolePolicy::${stage}`,
          `aws:s3/bucketPolicy:BucketPolicy::${bucket}`,
        ]);
      }
      // @pulumi/aws makes the notification wait for the invoke permission, which names the function.
      for (const stage of ["chromakey", "composite", "notify"]) {
        expect(await waitsFor(one("aws:s3/bucketNotification:BucketNotification", stage))).to.deep.equal([
          `aws:lambda/permission:Permission::${stage}`,
        ]);
      }
    });
  });

  describe("stages", () => {
    const wiring = [
      { bucket: "upload", stage: "chromakey" },
      { bucket: "processing", stage: "composite" },
      { bucket: "final", stage: "notify" },
    ];

    it("wires each bucket's ObjectCreated events to its stage: upload->chromakey->processing->composite->final->notify", () => {
      const notifications = all("aws:s3/bucketNotification:BucketNotification");
      expect(notifications, "one notification configuration per bucket").to.have.length(3);
      for (const { bucket, stage } of wiring) {
        const bucketName = bucketOf(bucket).state.bucket;
        const n = notifications.filter((x) => x.inputs.bucket === bucketName);
        expect(n, bucket).to.have.length(1);
        expect(n[0].inputs.lambdaFunctions).to.deep.equal([
          {
            events: ["s3:ObjectCreated:*"],
            lambdaFunctionArn: fnOf(stage).state.arn,
            // Notify never wakes for its own `.notified/` markers.
            ...({ composite: { filterSuffix: ".png" }, notify: { filterSuffix: ".jpg" } } as Record<string, object>)[
              stage
            ],
          },
        ]);
        expect(n[0].inputs).to.not.have.property("queues");
        expect(n[0].inputs).to.not.have.property("topics");

        const permission = one("aws:lambda/permission:Permission", stage).inputs;
        expect(permission).to.include({
          action: "lambda:InvokeFunction",
          principal: "s3.amazonaws.com",
          function: fnOf(stage).state.name,
          sourceArn: bucketOf(bucket).state.arn,
          // A bucket ARN names no account: a same-named bucket elsewhere must not invoke the stage.
          sourceAccount: ACCOUNT,
        });
      }
    });

    it("runs Node.js 22 on x86_64 with the native layer, the configured memory and timeouts, and its own log group", async () => {
      const layer = one("aws:lambda/layerVersion:LayerVersion", "native");
      expect(layer.inputs.compatibleRuntimes).to.deep.equal(["nodejs22.x"]);
      expect(layer.inputs.compatibleArchitectures).to.deep.equal(["x86_64"]);
      expect(layer.props.code).to.be.instanceOf(pulumi.asset.FileArchive);
      expect(path.resolve(ROOT, await (layer.props.code as pulumi.asset.FileArchive).path)).to.equal(
        path.join(ROOT, LAYER_DIR),
      );

      const expected: Record<string, [number, number]> = {
        chromakey: [2048, 60],
        composite: [1024, 30],
        notify: [256, 10],
        presign: [256, 10],
        "chromakey-failed": [256, 30],
        "composite-failed": [256, 30],
        "notify-failed": [256, 30],
      };
      expect(
        all("aws:lambda/function:Function")
          .map((f) => f.name)
          .sort(),
      ).to.deep.equal(Object.keys(expected).sort());
      for (const [name, [memory, timeout]] of Object.entries(expected)) {
        const fn = fnOf(name).inputs;
        expect(fn, name).to.include({ runtime: "nodejs22.x", handler: "__index.handler", memorySize: memory, timeout });
        expect(fn.architectures).to.deep.equal(["x86_64"]);
        // Only the image stages load the native layer (sharp, and the canvas for drawing).
        expect(fn.layers, name).to.deep.equal(name === "chromakey" || name === "composite" ? [layer.state.arn] : []);
        expect(fn.loggingConfig.logGroup).to.equal(`/aws/lambda/theme-park-photos-test-${name}`);
        expect(one("aws:cloudwatch/logGroup:LogGroup", name).inputs.retentionInDays).to.be.a("number");
      }
    });

    it("gives each stage exactly the environment its handler reads (no reserved AWS_* keys)", () => {
      const up = bucketOf("upload").state.bucket;
      const proc = bucketOf("processing").state.bucket;
      const fin = bucketOf("final").state.bucket;
      const iot = {
        IOT_ENDPOINT: `https://${IOT_ADDRESS}`,
        NOTIFY_TOPIC: "notifications",
        NOTIFY_BROADCAST: "true",
        FINAL_BUCKET: fin, // where each notice is claimed once
      };
      expect(fnOf("chromakey").inputs.environment.variables).to.deep.equal({
        MALLOC_ARENA_MAX: "2",
        UPLOAD_BUCKET: up,
        PROCESSING_BUCKET: proc,
        MAX_UPLOAD_BYTES: "26214400",
        ...iot,
        CHROMAKEY_OPTIONS: JSON.stringify({ spillSuppression: 0.5 }),
      });
      expect(fnOf("composite").inputs.environment.variables).to.deep.equal({
        MALLOC_ARENA_MAX: "2",
        PROCESSING_BUCKET: proc,
        ...iot,
        PARK_NAME: "Test Park",
      });
      expect(fnOf("notify").inputs.environment.variables).to.deep.equal({
        FINAL_URL_BASE: `https://${CDN_DOMAIN}`,
        ...iot,
      });
      for (const stage of ["chromakey", "composite", "notify"]) {
        expect(fnOf(`${stage}-failed`).inputs.environment.variables).to.deep.equal({
          ...iot,
          // Notify's reporter announces the souvenir, which exists, rather than a failure.
          ...(stage === "notify" ? { FINAL_URL_BASE: `https://${CDN_DOMAIN}` } : {}),
          FAILED_STAGE: stage,
          FAILURE_QUEUE_URL: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${stage}-failures-q`,
        });
      }
      expect(fnOf("presign").inputs.environment.variables).to.deep.equal({
        UPLOAD_BUCKET: up,
        UPLOAD_URL_EXPIRES: "300",
        MAX_UPLOAD_BYTES: "26214400",
        ALLOWED_ORIGINS: `https://photos.example.com,http://localhost:3000,https://${PAGE_DOMAIN}`,
      });
    });

    it("packages the very factories infra/callbacks.ts exports, each requiring its own bundle", async () => {
      const factories: Record<string, (...args: any[]) => unknown> = { ...stageFactories, presign: presignFactory };
      for (const stage of Object.keys(stageFactories)) factories[`${stage}-failed`] = failedFactory;
      for (const [name, factory] of Object.entries(factories)) {
        const archive = (await valueOf(pulumi.output(fnOf(name).props.code))) as pulumi.asset.AssetArchive;
        const files = (await archive.assets) as Record<string, pulumi.asset.Asset | pulumi.asset.Archive>;
        const index = await (files["__index.js"] as pulumi.asset.StringAsset).text;
        const expected = await pulumi.runtime.serializeFunction(factory, {
          exportName: "handler",
          isFactoryFunction: true,
          serialize: () => true,
          allowSecrets: true,
        });
        expect(index, name).to.equal(expected.text);
        const bundle = name.endsWith("-failed") ? "failed" : name;
        expect(index).to.include(`require("./dist/functions/${bundle}")`);
        const assets = ["assets/backgrounds", "assets/fonts", "assets/frame.png"];
        expect(Object.keys(files).sort(), "its bundle alone: no node_modules").to.deep.equal(
          ["__index.js", `dist/functions/${bundle}`, ...(name === "composite" ? assets : [])].sort(),
        );
        expect(Object.keys(files).filter((f) => f.startsWith("assets/samples") || f === "assets")).to.deep.equal([]);
      }
    });

    it("retries no S3 event; a failed one goes to the stage's failure reporter, then its encrypted 14-day queue", () => {
      const configs = all("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
      expect(configs.map((c) => c.name).sort()).to.deep.equal(
        ["chromakey", "composite", "notify"].flatMap((stage) => [stage, `${stage}-failed`]).sort(),
      );
      for (const { stage } of wiring) {
        const queue = one("aws:sqs/queue:Queue", `${stage}-failures`);
        expect(queue.inputs).to.include({ messageRetentionSeconds: 1209600, sqsManagedSseEnabled: true });
        // However the invocation died (error, timeout, out of memory), Lambda hands the record to the reporter...
        const config = one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", stage).inputs;
        expect(config).to.include({ functionName: fnOf(stage).state.name, maximumRetryAttempts: 0 });
        expect(config.destinationConfig).to.deep.equal({
          onFailure: { destination: fnOf(`${stage}-failed`).state.arn },
        });
        // ...which tells the guest and puts the record in the queue; if it keeps failing, Lambda puts it there.
        const reporter = one(
          "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
          `${stage}-failed`,
        ).inputs;
        expect(reporter).to.include({ functionName: fnOf(`${stage}-failed`).state.name, maximumRetryAttempts: 2 });
        expect(reporter.destinationConfig).to.deep.equal({ onFailure: { destination: queue.state.arn } });
      }
    });
  });

  describe("least privilege", () => {
    const s3 = (bucket: string) => `arn:aws:s3:::${bucketOf(bucket).state.bucket}`;
    const logs = (fn: string) =>
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/theme-park-photos-test-${fn}:*`;
    const queue = (fn: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${fn}-failures-q`;
    const topicArn = `arn:aws:iot:${REGION}:${ACCOUNT}:topic/notifications`;
    const reporter = (fn: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn}-failed-fn-1a2b`;
    const publishing = (fn: string) => [
      `iot:Publish ${topicArn}`,
      `iot:Publish ${topicArn}/*`,
      `logs:CreateLogStream ${logs(fn)}`,
      `logs:PutLogEvents ${logs(fn)}`,
    ];
    // Every notice is claimed once: a marker under .notified/ in Final, removed again if publishing fails.
    const claims = () => [`s3:PutObject ${s3("final")}/.notified/*`, `s3:DeleteObject ${s3("final")}/.notified/*`];
    const stageCommon = (fn: string) => [...publishing(fn), ...claims(), `lambda:InvokeFunction ${reporter(fn)}`];
    const rolePolicyFor = (fn: string) => {
      const role = one("aws:iam/role:Role", fn);
      expect(fnOf(fn).inputs.role).to.equal(role.state.arn);
      const policies = all("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.state.name);
      expect(policies, `${fn}: one inline policy`).to.have.length(1);
      return policyOf(policies[0]);
    };

    it("attaches no managed policies to any role (CallbackFunction's broad defaults never apply)", () => {
      expect(all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.deep.equal([]);
      expect(all("aws:iam/policy:Policy")).to.deep.equal([]);
      for (const role of all("aws:iam/role:Role")) {
        expect(role.inputs).to.not.have.property("managedPolicyArns");
      }
      for (const fn of [
        "chromakey",
        "composite",
        "notify",
        "presign",
        "chromakey-failed",
        "composite-failed",
        "notify-failed",
      ]) {
        const trust = JSON.parse(one("aws:iam/role:Role", fn).inputs.assumeRolePolicy);
        expect(trust.Statement).to.deep.equal([
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
      }
    });

    it("chromakey: reads Upload (deleting what is too big), heads and writes Processing, publishes on the topics", () => {
      expect(grants(rolePolicyFor("chromakey"))).to.deep.equal(
        [
          `s3:GetObject ${s3("upload")}/*`,
          `s3:DeleteObject ${s3("upload")}/*`,
          `s3:GetObject ${s3("processing")}/*`,
          `s3:PutObject ${s3("processing")}/*`,
          `s3:ListBucket ${s3("processing")}`,
          ...stageCommon("chromakey"),
        ].sort(),
      );
    });

    it("composite: reads Processing, heads and writes Final, publishes on the topics", () => {
      expect(grants(rolePolicyFor("composite"))).to.deep.equal(
        [
          `s3:GetObject ${s3("processing")}/*`,
          `s3:GetObject ${s3("final")}/*`,
          `s3:PutObject ${s3("final")}/*`,
          `s3:ListBucket ${s3("final")}`,
          ...stageCommon("composite"),
        ].sort(),
      );
    });

    it("notify: reads Final objects' metadata (the hint), claims its notices in Final, publishes on the topics", () => {
      expect(grants(rolePolicyFor("notify"))).to.deep.equal(
        [`s3:GetObject ${s3("final")}/*`, ...stageCommon("notify")].sort(),
      );
    });

    it("failure reporters: claim notices, publish on the topics, and keep records in their stage's queue only", () => {
      for (const stage of ["chromakey", "composite", "notify"]) {
        expect(grants(rolePolicyFor(`${stage}-failed`)), stage).to.deep.equal(
          [...publishing(`${stage}-failed`), ...claims(), `sqs:SendMessage ${queue(stage)}`].sort(),
        );
      }
    });

    it("presign: may only put objects into Upload (what its presigned URLs can do) and write its logs", () => {
      expect(grants(rolePolicyFor("presign"))).to.deep.equal(
        [
          `s3:PutObject ${s3("upload")}/*`,
          `logs:CreateLogStream ${logs("presign")}`,
          `logs:PutLogEvents ${logs("presign")}`,
        ].sort(),
      );
    });
  });

  describe("presign API", () => {
    it("routes GET and OPTIONS /Upload to the presign function, and nothing else", async () => {
      const api = one("aws:apigateway/restApi:RestApi", "photos-api");
      const swagger = JSON.parse(api.inputs.body) as { paths: Record<string, Record<string, any>> };
      expect(Object.keys(swagger.paths)).to.deep.equal(["/Upload"]);
      expect(Object.keys(swagger.paths["/Upload"]).sort()).to.deep.equal(["get", "options"]);
      for (const method of ["get", "options"]) {
        const integration = swagger.paths["/Upload"][method]["x-amazon-apigateway-integration"];
        expect(integration).to.include({ type: "aws_proxy", httpMethod: "POST" });
        expect(integration.uri).to.include(`functions/${fnOf("presign").state.arn}/invocations`);
      }
      const permissions = all("aws:lambda/permission:Permission").filter(
        (p) => p.inputs.principal === "apigateway.amazonaws.com",
      );
      expect(permissions.map((p) => p.inputs.sourceArn).sort()).to.deep.equal([
        `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/*/GET/Upload`,
        `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/*/OPTIONS/Upload`,
      ]);
      // awsx passes the function itself: the mock hands back a resource reference.
      for (const p of permissions)
        expect(await valueOf((p.inputs.function as pulumi.CustomResource).urn)).to.match(/::presign$/);
    });

    it("answers API Gateway's own 4XX and 5XX (throttling, errors) with CORS headers, keeping their status", () => {
      const api = one("aws:apigateway/restApi:RestApi", "photos-api");
      const responses = JSON.parse(api.inputs.body)["x-amazon-apigateway-gateway-responses"] as Record<string, any>;
      // Two allowed origins: the request's Origin is echoed (the bodies hold nothing but the error).
      const cors = {
        "gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin",
        "gatewayresponse.header.Access-Control-Allow-Methods": "'GET, OPTIONS'",
        "gatewayresponse.header.Access-Control-Allow-Headers": "'Content-Type'",
        "gatewayresponse.header.Vary": "'Origin'",
      };
      for (const type of ["DEFAULT_4XX", "DEFAULT_5XX"]) {
        expect(responses[type], type).to.deep.equal({
          responseParameters: cors,
          responseTemplates: { "application/json": '{"message":$context.error.messageString}' },
        });
      }
      // awsx's own two (a missing or denied route: 404) would otherwise override the defaults without CORS.
      for (const type of ["MISSING_AUTHENTICATION_TOKEN", "ACCESS_DENIED"]) {
        expect(responses[type]).to.deep.include({ statusCode: 404, responseParameters: cors });
      }
    });

    it("lets the stack's own page read API Gateway's errors when one other origin is configured (the default)", () => {
      // The page is allowed beside the configured origins, at a CloudFront domain known only once deployed: a 429
      // must reach it as a 429, not as a CORS error, so the request's Origin is echoed whatever the count.
      for (const configured of [["http://localhost:3000"], ["https://photos.example.com", "http://localhost:3000"]]) {
        expect(corsResponseParameters(configured), configured.join(" ")).to.include({
          "gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin",
          "gatewayresponse.header.Vary": "'Origin'",
        });
      }
      const any = corsResponseParameters(["*"]);
      expect(any).to.include({ "gatewayresponse.header.Access-Control-Allow-Origin": "'*'" });
      expect(any).to.not.have.property("gatewayresponse.header.Vary");
    });

    it("throttles the whole stage so a script cannot flood it", () => {
      const settings = one("aws:apigateway/methodSettings:MethodSettings", "photos-api-throttle").inputs;
      expect(settings).to.include({ restApi: API_ID, stageName: "live", methodPath: "*/*" });
      expect(settings.settings).to.deep.include({ throttlingRateLimit: 20, throttlingBurstLimit: 40 });
    });
  });

  describe("CDN", () => {
    it("serves Final through CloudFront with a SigV4 Origin Access Control, https only, cached by key and version", () => {
      const oac = one("aws:cloudfront/originAccessControl:OriginAccessControl", "final").inputs;
      expect(oac).to.include({
        originAccessControlOriginType: "s3",
        signingBehavior: "always",
        signingProtocol: "sigv4",
      });
      const dist = one("aws:cloudfront/distribution:Distribution", "final").inputs;
      expect(dist.enabled).to.equal(true);
      expect(dist.origins).to.have.length(1);
      expect(dist.origins[0]).to.include({
        domainName: bucketOf("final").state.bucketRegionalDomainName,
        originAccessControlId: "E2OAC",
      });
      expect(dist.origins[0]).to.not.have.property("s3OriginConfig");
      expect(dist.defaultCacheBehavior).to.include({
        targetOriginId: dist.origins[0].originId,
        viewerProtocolPolicy: "redirect-to-https",
        cachePolicyId: "souvenirs-id",
      });
      // The notification's URL ends in ?v=<ETag>: a re-upload to a key is a new cache entry, never the old souvenir.
      const cache = one("aws:cloudfront/cachePolicy:CachePolicy", "souvenirs").inputs;
      expect(cache.parametersInCacheKeyAndForwardedToOrigin).to.deep.include({
        queryStringsConfig: { queryStringBehavior: "whitelist", queryStrings: { items: ["v"] } },
        headersConfig: { headerBehavior: "none" },
        cookiesConfig: { cookieBehavior: "none" },
      });
      expect(cache).to.include({ minTtl: 1, defaultTtl: 86400 });
      expect(dist.defaultCacheBehavior.allowedMethods).to.deep.equal(["GET", "HEAD"]);
      expect(dist).to.not.have.property("orderedCacheBehaviors");
    });
  });

  describe("the guests' page", () => {
    it("is served from a private bucket only its own distribution reads (OAC), https only, at the root", () => {
      const id = bucketOf("page").state.bucket;
      expect(one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "page").inputs).to.include({
        bucket: id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      // No guest's data in it: the page's files do not expire.
      expect(all("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").map((l) => l.name)).to.not.include(
        "page",
      );
      const statements = policyOf(one("aws:s3/bucketPolicy:BucketPolicy", "page")).Statement;
      expect(statements.filter((s) => s.Effect === "Allow")).to.deep.equal([
        {
          Sid: "CloudFrontReadsThePage",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${id}/*`,
          Condition: { StringEquals: { "AWS:SourceArn": `arn:aws:cloudfront::${ACCOUNT}:distribution/E3PAGE` } },
        },
      ]);
      expect(statements.map((s) => s.Sid)).to.include("DenyInsecureTransport");

      const oac = one("aws:cloudfront/originAccessControl:OriginAccessControl", "page").inputs;
      expect(oac).to.include({
        originAccessControlOriginType: "s3",
        signingBehavior: "always",
        signingProtocol: "sigv4",
      });
      const dist = one("aws:cloudfront/distribution:Distribution", "page").inputs;
      expect(dist).to.include({ enabled: true, defaultRootObject: "index.html" });
      expect(dist.origins).to.have.length(1);
      expect(dist.origins[0]).to.include({
        domainName: bucketOf("page").state.bucketRegionalDomainName,
        originAccessControlId: "E2OAC",
      });
      expect(dist.defaultCacheBehavior).to.include({
        targetOriginId: dist.origins[0].originId,
        viewerProtocolPolicy: "redirect-to-https",
      });
      expect(dist.defaultCacheBehavior.allowedMethods).to.deep.equal(["GET", "HEAD"]);
    });

    it("holds the page's files and the stack's frontendConfig, and exports the page's URL", async () => {
      const objects = all("aws:s3/bucketObjectv2:BucketObjectv2");
      const byKey = new Map(objects.map((o) => [o.inputs.key as string, o.inputs]));
      expect([...byKey.keys()].sort()).to.deep.equal([
        "app.js",
        "favicon.svg",
        "frontend-config.json",
        "index.html",
        "style.css",
        "vendor/mqtt.min.js",
      ]);
      for (const inputs of byKey.values()) expect(inputs.bucket).to.equal(bucketOf("page").state.bucket);
      expect(byKey.get("index.html")).to.include({ contentType: "text/html; charset=utf-8", cacheControl: "no-cache" });
      expect(JSON.parse(byKey.get("frontend-config.json")?.content)).to.deep.equal(outputs.frontendConfig);
      expect(outputs.pageUrl).to.equal(`https://${PAGE_DOMAIN}/`);
    });
  });

  describe("browser access to notifications", () => {
    it("lets unauthenticated identities of this pool connect as themselves and listen to named photo topics and the broadcast", () => {
      const pool = one("aws:cognito/identityPool:IdentityPool", "browsers").inputs;
      expect(pool).to.include({ allowUnauthenticatedIdentities: true, allowClassicFlow: false });

      const role = one("aws:iam/role:Role", "browser");
      const trust = JSON.parse(role.inputs.assumeRolePolicy);
      expect(trust.Statement).to.deep.equal([
        {
          Effect: "Allow",
          Principal: { Federated: "cognito-identity.amazonaws.com" },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { "cognito-identity.amazonaws.com:aud": POOL_ID },
            "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "unauthenticated" },
          },
        },
      ]);
      const policies = all("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.state.name);
      expect(policies).to.have.length(1);
      const doc = policyOf(policies[0]);
      const iot = `arn:aws:iot:${REGION}:${ACCOUNT}`;
      expect(grants({ Statement: doc.Statement.filter((s) => s.Effect === "Allow") })).to.deep.equal([
        `iot:Connect ${iot}:client/\${cognito-identity.amazonaws.com:sub}`,
        `iot:Receive ${iot}:topic/notifications`,
        `iot:Receive ${iot}:topic/notifications/*`,
        `iot:Subscribe ${iot}:topicfilter/notifications`,
        `iot:Subscribe ${iot}:topicfilter/notifications/*`,
      ]);
      // IAM's `*` also matches MQTT's `+` and `#`: without this, `notifications/#` would hear every guest.
      expect(doc.Statement.filter((s) => s.Effect === "Deny")).to.deep.equal([
        {
          Sid: "NoWildcardSubscriptions",
          Effect: "Deny",
          Action: "iot:Subscribe",
          Resource: [`${iot}:topicfilter/*+*`, `${iot}:topicfilter/*#*`],
        },
      ]);
      expect(JSON.stringify(doc), "browsers never publish").to.not.include("iot:Publish");

      const attachment = one("aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment", "browsers").inputs;
      expect(attachment.identityPoolId).to.equal(POOL_ID);
      expect(attachment.roles).to.deep.equal({ unauthenticated: role.state.arn });
    });
  });

  describe("outputs", () => {
    it("gives the front-end every value it needs, from one output", () => {
      const uploadUrl = `https://${API_ID}.execute-api.${REGION}.amazonaws.com/live/Upload`;
      expect(outputs.frontendConfig).to.deep.equal({
        uploadUrl,
        mqttUrl: `wss://${IOT_ADDRESS}/mqtt`,
        topic: "notifications",
        broadcast: true,
        region: REGION,
        imageBaseUrl: `https://${CDN_DOMAIN}`,
        identityPoolId: POOL_ID,
      });
      expect(outputs).to.include({
        uploadUrl,
        uploadBucketName: bucketOf("upload").state.bucket,
        processingBucketName: bucketOf("processing").state.bucket,
        finalBucketName: bucketOf("final").state.bucket,
        cdnDomain: CDN_DOMAIN,
        iotEndpoint: `https://${IOT_ADDRESS}`,
        topic: "notifications",
        identityPoolId: POOL_ID,
        region: REGION,
      });
      expect(Object.keys(outputs.failureQueues).sort()).to.deep.equal(["chromakey", "composite", "notify"]);
    });
  });
});

describe("browser IoT policy with the broadcast off", () => {
  it("leaves browsers only the photo topics they name", () => {
    const doc = browserIotPolicy(iotArns("aws", REGION, ACCOUNT, "souvenirs"), false);
    const iot = `arn:aws:iot:${REGION}:${ACCOUNT}`;
    const allowed = doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) =>
      arr(s.Action).flatMap((a) => arr(s.Resource ?? []).map((r) => `${a} ${r}`)),
    );
    expect(allowed.sort()).to.deep.equal([
      `iot:Connect ${iot}:client/\${cognito-identity.amazonaws.com:sub}`,
      `iot:Receive ${iot}:topic/souvenirs/*`,
      `iot:Subscribe ${iot}:topicfilter/souvenirs/*`,
    ]);
    expect(doc.Statement.filter((s) => s.Effect === "Deny")).to.have.length(1);
  });
});

describe("stack settings", () => {
  const from = (values: Record<string, string>) => readSettings((key) => values[key]);

  it("defaults to the documented values", () => {
    const s = from({});
    expect(s).to.deep.include({
      topic: "notifications",
      allowedOrigins: ["http://localhost:3000"],
      retentionDays: 7,
      uploadUrlExpires: 300,
      broadcast: true,
      maxUploadBytes: 26214400,
    });
    expect(from({ broadcast: "false" }).broadcast).to.equal(false);
    expect(from({ maxUploadBytes: "1048576" }).maxUploadBytes).to.equal(1048576);
    expect(s.chromakey).to.deep.equal({ memory: 2048, timeout: 60 });
    expect(s.composite).to.deep.equal({ memory: 1536, timeout: 30 });
    expect(s.notify).to.deep.equal({ memory: 256, timeout: 10 });
    expect(s.theme).to.equal(undefined);
    expect(from({ theme: "auto" }).theme).to.equal(undefined);
    expect(from({ theme: "castle" }).theme).to.equal("castle");
  });

  it("refuses bad values with one clear line", () => {
    expect(() => from({ retentionDays: "0" })).to.throw(
      "theme-park-photos:retentionDays must be a whole number from 1 to 3650",
    );
    expect(() => from({ chromakeyMemory: "64" })).to.throw("chromakeyMemory");
    expect(() => from({ broadcast: "no" })).to.throw('theme-park-photos:broadcast must be true or false, got "no"');
    expect(() => from({ maxUploadBytes: "0" })).to.throw("theme-park-photos:maxUploadBytes must be a whole number");
    expect(() => from({ topic: "photos/#" })).to.throw("plain MQTT topic");
    expect(() => from({ allowedOrigins: "https://a.example" })).to.throw("must be a list");
    expect(() => from({ allowedOrigins: '["https://a.example/path"]' })).to.throw("is not an origin");
    expect(() => from({ keyingOptions: "[1]" })).to.throw("must be an object");
    expect(() => readSettings((key) => ({ keyingOptions: '{"spill":1}' })[key], ["spillSuppression"])).to.throw(
      "unknown option(s) spill",
    );
    expect(() => readSettings((key) => ({ theme: "moon" })[key], [], ["castle", "tropical"])).to.throw(
      'theme-park-photos:theme must be auto or one of castle, tropical, got "moon"',
    );
    expect(readSettings((key) => ({ theme: "castle" })[key], [], ["castle"]).theme).to.equal("castle");
  });
});
