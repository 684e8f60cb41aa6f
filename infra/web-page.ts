// The guests' page (local/web/, the same files the local stack serves) on its own CloudFront distribution, from a
// private bucket only that distribution may read (Origin Access Control), with the stack's frontendConfig beside
// it as /frontend-config.json: `pulumi up` leaves an instructor a page to try the deployment with.
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { privateBucket, withPolicy } from "./buckets";
import { privateCdn } from "./cdn";
import { MQTT_CLIENT_SCRIPT, PAGE_CONTENT_TYPES } from "../local/page-files";
import { pageBucketPolicy } from "./policies";

/** AWS's managed policies: no caching (a redeploy shows at once; the page is a few small files), security headers. */
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03";

/** The page's files: bucket key -> file on disk (the MQTT client the page loads comes from the mqtt package). */
export function pageFiles(root: string): Record<string, string> {
  const webDir = path.join(root, "local", "web");
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(webDir).sort()) {
    if (PAGE_CONTENT_TYPES[path.extname(name)]) files[name] = path.join(webDir, name);
  }
  files["vendor/mqtt.min.js"] = MQTT_CLIENT_SCRIPT;
  return files;
}

export interface WebPage {
  distribution: aws.cloudfront.Distribution;
  /** https://<domain>: the page's origin, which the upload API and bucket must allow */
  origin: pulumi.Output<string>;
  /** Publishes the front-end configuration beside the page; returns the page's URL. */
  publish(frontendConfig: pulumi.Input<Record<string, pulumi.Input<unknown>>>): pulumi.Output<string>;
}

export function webPage(prefix: string, root: string): WebPage {
  const page = privateBucket("page", { expireAfterDays: undefined });
  const distribution = privateCdn({
    name: "page",
    prefix,
    comment: "the guests' page",
    bucket: page,
    cachePolicyId: CACHING_DISABLED,
    responseHeadersPolicyId: SECURITY_HEADERS,
    defaultRootObject: "index.html",
  });
  const locked = withPolicy(
    page,
    pulumi.all([page.bucket.arn, distribution.arn]).apply(([b, d]) => pageBucketPolicy(b, d)),
  );
  const object = (key: string, args: { source?: pulumi.asset.Asset; content?: pulumi.Input<string> }) =>
    new aws.s3.BucketObjectv2(
      `page-${key}`,
      {
        bucket: page.bucket.id,
        key,
        contentType: PAGE_CONTENT_TYPES[path.extname(key)],
        cacheControl: "no-cache",
        ...args,
      },
      { parent: page.bucket, dependsOn: [locked.settled] },
    );
  for (const [key, file] of Object.entries(pageFiles(root))) object(key, { source: new pulumi.asset.FileAsset(file) });

  const origin = pulumi.interpolate`https://${distribution.domainName}`;
  return {
    distribution,
    origin,
    publish(frontendConfig) {
      object("frontend-config.json", { content: pulumi.output(frontendConfig).apply((c) => JSON.stringify(c)) });
      return pulumi.interpolate`${origin}/`;
    },
  };
}
