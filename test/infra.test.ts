// The Pulumi program under pulumi.runtime.setMocks: every resource and link `pulumi up` would
// create, read back from what the program registers (no AWS, no Pulumi CLI).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { stageCallbacks, presignCallback } from "../infra/callbacks";
import { readSettings } from "../infra/config";
import { ensureLayer, LAYER_DIR } from "../infra/layer";

const ROOT = path.resolve(__dirname, "..");
const ACCOUNT = "123456789012";
const REGION = "us-west-2";
const IOT_ADDRESS = "a1b2c3-ats.iot.us-west-2.amazonaws.com";
const CDN_DOMAIN = "d1234abcd.cloudfront.net";
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
    case "aws:cloudfront/distribution:Distribution":
      return {
        id: "E1DIST",
        state: { arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/E1DIST`, domainName: CDN_DOMAIN },
      };
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

    it("creates exactly the Upload, Processing and Final buckets, destroyable with their photos", () => {
      expect(
        all("aws:s3/bucket:Bucket")
          .map((b) => b.name)
          .sort(),
      ).to.deep.equal(["final", "processing", "upload"]);
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
        const deny = policyOf(policy).Statement.filter((s) => s.Effect === "Deny");
        expect(deny).to.have.length(1);
        expect(deny[0]).to.deep.include({
          Principal: "*",
          Action: "s3:*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        expect(deny[0].Resource).to.have.members([`arn:aws:s3:::${id}`, `arn:aws:s3:::${id}/*`]);
      });
    }

    it("allows the browser PUT (Content-Type, ETag exposed) on Upload only, from the configured origins", () => {
      const cors = all("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration");
      expect(cors.map((c) => c.name)).to.deep.equal(["upload"]);
      expect(cors[0].inputs.bucket).to.equal(bucketOf("upload").state.bucket);
      expect(cors[0].inputs.corsRules).to.have.length(1);
      expect(cors[0].inputs.corsRules[0]).to.deep.include({
        allowedMethods: ["PUT"],
        allowedOrigins: ["https://photos.example.com", "http://localhost:3000"],
        allowedHeaders: ["Content-Type"],
        exposeHeaders: ["ETag"],
      });
    });

    it("lets only the CloudFront distribution read Final, and nobody read Upload or Processing", () => {
      const finalAllows = policyOf(one("aws:s3/bucketPolicy:BucketPolicy", "final")).Statement.filter(
        (s) => s.Effect === "Allow",
      );
      expect(finalAllows).to.deep.equal([
        {
          Sid: "CloudFrontReadsFinals",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${bucketOf("final").state.bucket}/*`,
          Condition: { StringEquals: { "AWS:SourceArn": `arn:aws:cloudfront::${ACCOUNT}:distribution/E1DIST` } },
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
          { events: ["s3:ObjectCreated:*"], lambdaFunctionArn: fnOf(stage).state.arn },
        ]);
        expect(n[0].inputs).to.not.have.property("queues");
        expect(n[0].inputs).to.not.have.property("topics");

        const permission = one("aws:lambda/permission:Permission", stage).inputs;
        expect(permission).to.include({
          action: "lambda:InvokeFunction",
          principal: "s3.amazonaws.com",
          function: fnOf(stage).state.name,
          sourceArn: bucketOf(bucket).state.arn,
        });
      }
    });

    it("runs Node.js 22 on x86_64 with the native layer, the configured memory and timeouts, and its own log group", async () => {
      const layer = one("aws:lambda/layerVersion:LayerVersion", "canvas-native");
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
        // Only the stages that draw load @napi-rs/canvas.
        expect(fn.layers, name).to.deep.equal(name === "chromakey" || name === "composite" ? [layer.state.arn] : []);
        expect(fn.loggingConfig.logGroup).to.equal(`/aws/lambda/theme-park-photos-test-${name}`);
        expect(one("aws:cloudwatch/logGroup:LogGroup", name).inputs.retentionInDays).to.be.a("number");
      }
    });

    it("gives each stage exactly the environment its handler reads (no reserved AWS_* keys)", () => {
      const up = bucketOf("upload").state.bucket;
      const proc = bucketOf("processing").state.bucket;
      const fin = bucketOf("final").state.bucket;
      const iot = { IOT_ENDPOINT: `https://${IOT_ADDRESS}`, NOTIFY_TOPIC: "notifications" };
      expect(fnOf("chromakey").inputs.environment.variables).to.deep.equal({
        UPLOAD_BUCKET: up,
        PROCESSING_BUCKET: proc,
        ...iot,
        CHROMAKEY_OPTIONS: JSON.stringify({ spillSuppression: 0.5 }),
      });
      expect(fnOf("composite").inputs.environment.variables).to.deep.equal({
        PROCESSING_BUCKET: proc,
        FINAL_BUCKET: fin,
        ...iot,
        PARK_NAME: "Test Park",
      });
      expect(fnOf("notify").inputs.environment.variables).to.deep.equal({
        FINAL_BUCKET: fin,
        FINAL_URL_BASE: `https://${CDN_DOMAIN}`,
        ...iot,
      });
      expect(fnOf("presign").inputs.environment.variables).to.deep.equal({
        UPLOAD_BUCKET: up,
        UPLOAD_URL_EXPIRES: "300",
        ALLOWED_ORIGINS: "https://photos.example.com,http://localhost:3000",
      });
    });

    it("packages the very callbacks infra/callbacks.ts exports, each requiring its compiled handler", async () => {
      const callbacks: Record<string, (...args: any[]) => unknown> = { ...stageCallbacks, presign: presignCallback };
      for (const [name, callback] of Object.entries(callbacks)) {
        const archive = (await valueOf(pulumi.output(fnOf(name).props.code))) as pulumi.asset.AssetArchive;
        const files = (await archive.assets) as Record<string, pulumi.asset.Asset | pulumi.asset.Archive>;
        const index = await (files["__index.js"] as pulumi.asset.StringAsset).text;
        const expected = await pulumi.runtime.serializeFunction(callback, {
          exportName: "handler",
          serialize: () => true,
          allowSecrets: true,
        });
        expect(index, name).to.equal(expected.text);
        expect(index).to.include(`require("./dist/pipeline/handlers/${name}")`);
        expect(Object.keys(files)).to.include.members([
          "dist/pipeline",
          "assets/backgrounds",
          "assets/fonts",
          "assets/frame.png",
          "node_modules/@napi-rs/canvas",
        ]);
        expect(
          Object.keys(files).filter((f) => /^node_modules\/(@napi-rs\/canvas-|@pulumi\/)/.test(f)),
          "no platform binaries, no Pulumi SDK",
        ).to.deep.equal([]);
        expect(Object.keys(files).filter((f) => f.startsWith("assets/samples") || f === "assets")).to.deep.equal([]);
      }
    });

    it("retries no S3 event and sends failed ones to the stage's own encrypted 14-day SQS queue", () => {
      const configs = all("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
      expect(configs.map((c) => c.name).sort()).to.deep.equal(["chromakey", "composite", "notify"]);
      for (const { stage } of wiring) {
        const queue = one("aws:sqs/queue:Queue", `${stage}-failures`);
        expect(queue.inputs).to.include({ messageRetentionSeconds: 1209600, sqsManagedSseEnabled: true });
        const config = one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", stage).inputs;
        expect(config).to.include({ functionName: fnOf(stage).state.name, maximumRetryAttempts: 0 });
        expect(config.destinationConfig).to.deep.equal({ onFailure: { destination: queue.state.arn } });
      }
    });
  });

  describe("least privilege", () => {
    const s3 = (bucket: string) => `arn:aws:s3:::${bucketOf(bucket).state.bucket}`;
    const logs = (fn: string) =>
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/theme-park-photos-test-${fn}:*`;
    const queue = (fn: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${fn}-failures-q`;
    const topicArn = `arn:aws:iot:${REGION}:${ACCOUNT}:topic/notifications`;
    const stageCommon = (fn: string) => [
      `iot:Publish ${topicArn}`,
      `logs:CreateLogStream ${logs(fn)}`,
      `logs:PutLogEvents ${logs(fn)}`,
      `sqs:SendMessage ${queue(fn)}`,
    ];
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
      for (const fn of ["chromakey", "composite", "notify", "presign"]) {
        const trust = JSON.parse(one("aws:iam/role:Role", fn).inputs.assumeRolePolicy);
        expect(trust.Statement).to.deep.equal([
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
      }
    });

    it("chromakey: reads Upload, heads and writes Processing, publishes on the topic", () => {
      expect(grants(rolePolicyFor("chromakey"))).to.deep.equal(
        [
          `s3:GetObject ${s3("upload")}/*`,
          `s3:GetObject ${s3("processing")}/*`,
          `s3:PutObject ${s3("processing")}/*`,
          `s3:ListBucket ${s3("processing")}`,
          ...stageCommon("chromakey"),
        ].sort(),
      );
    });

    it("composite: reads Processing, heads and writes Final, publishes on the topic", () => {
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

    it("notify: reads Final objects' metadata (the hint) and their 'notified' tag, publishes on the topic", () => {
      expect(grants(rolePolicyFor("notify"))).to.deep.equal(
        [
          `s3:GetObject ${s3("final")}/*`,
          `s3:GetObjectTagging ${s3("final")}/*`,
          `s3:PutObjectTagging ${s3("final")}/*`,
          ...stageCommon("notify"),
        ].sort(),
      );
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

    it("throttles the whole stage so a script cannot flood it", () => {
      const settings = one("aws:apigateway/methodSettings:MethodSettings", "photos-api-throttle").inputs;
      expect(settings).to.include({ restApi: API_ID, stageName: "live", methodPath: "*/*" });
      expect(settings.settings).to.deep.include({ throttlingRateLimit: 20, throttlingBurstLimit: 40 });
    });
  });

  describe("CDN", () => {
    it("serves Final through CloudFront with a SigV4 Origin Access Control, https only, CachingOptimized", () => {
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
        cachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6",
      });
      expect(dist.defaultCacheBehavior.allowedMethods).to.deep.equal(["GET", "HEAD"]);
      expect(dist).to.not.have.property("orderedCacheBehaviors");
    });
  });

  describe("browser access to notifications", () => {
    it("lets unauthenticated identities of this pool only connect, subscribe and receive on the topic", () => {
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
      const iot = `arn:aws:iot:${REGION}:${ACCOUNT}`;
      expect(grants(policyOf(policies[0]))).to.deep.equal([
        `iot:Connect ${iot}:client/*`,
        `iot:Receive ${iot}:topic/notifications`,
        `iot:Subscribe ${iot}:topicfilter/notifications`,
      ]);

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

describe("stack settings", () => {
  const from = (values: Record<string, string>) => readSettings((key) => values[key]);

  it("defaults to the documented values", () => {
    const s = from({});
    expect(s).to.deep.include({
      topic: "notifications",
      allowedOrigins: ["http://localhost:3000"],
      retentionDays: 7,
      uploadUrlExpires: 300,
    });
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
