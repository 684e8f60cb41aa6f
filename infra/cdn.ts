// A CloudFront distribution in front of one private bucket: HTTPS only, GET and HEAD only, and the bucket read
// through Origin Access Control (CloudFront signs each request), never public. The souvenirs and the page both
// use it; they differ only in caching and headers.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PrivateBucket } from "./buckets";

export interface PrivateCdnArgs {
  /** Resource name and part of the OAC's name: also the origin's id. */
  name: string;
  prefix: string;
  comment: string;
  bucket: PrivateBucket;
  cachePolicyId: pulumi.Input<string>;
  responseHeadersPolicyId?: string;
  defaultRootObject?: string;
}

export function privateCdn(args: PrivateCdnArgs): aws.cloudfront.Distribution {
  const originId = `${args.name}-bucket`;
  const access = new aws.cloudfront.OriginAccessControl(args.name, {
    name: `${args.prefix}-${args.name}`,
    description: `CloudFront signs every request to the ${args.name} bucket`,
    originAccessControlOriginType: "s3",
    signingBehavior: "always",
    signingProtocol: "sigv4",
  });
  return new aws.cloudfront.Distribution(args.name, {
    enabled: true,
    comment: `${args.prefix}: ${args.comment}`,
    isIpv6Enabled: true,
    httpVersion: "http2and3",
    priceClass: "PriceClass_100",
    ...(args.defaultRootObject ? { defaultRootObject: args.defaultRootObject } : {}),
    origins: [
      {
        originId,
        domainName: args.bucket.bucket.bucketRegionalDomainName,
        originAccessControlId: access.id,
      },
    ],
    defaultCacheBehavior: {
      targetOriginId: originId,
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: ["GET", "HEAD"],
      cachedMethods: ["GET", "HEAD"],
      cachePolicyId: args.cachePolicyId,
      ...(args.responseHeadersPolicyId ? { responseHeadersPolicyId: args.responseHeadersPolicyId } : {}),
      compress: true,
    },
    restrictions: { geoRestriction: { restrictionType: "none" } },
    viewerCertificate: { cloudfrontDefaultCertificate: true },
  });
}
