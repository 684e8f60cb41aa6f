import type { S3Event } from "aws-lambda";
import { encodeEventKey } from "../../local/s3-event";

/** One S3 event record as AWS delivers it to Lambda: the key URL-encoded ('+' for a space), the ETag unquoted. */
export function s3Event(
  bucket: string,
  key: string,
  { eTag = "", size = 1, region = "us-east-1", eventName = "ObjectCreated:Put", sequencer = "0055AED6DCD90281E5" } = {},
): S3Event {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: region,
        eventTime: new Date().toISOString(),
        eventName,
        userIdentity: { principalId: "AWS:AROAEXAMPLE:test" },
        requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": "EXAMPLE123456789", "x-amz-id-2": "EXAMPLE/abc" },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "test",
          bucket: { name: bucket, ownerIdentity: { principalId: "EXAMPLE" }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeEventKey(key), size, eTag: eTag.replace(/"/g, ""), sequencer },
        },
      },
    ],
  };
}
