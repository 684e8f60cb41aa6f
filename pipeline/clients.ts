import { S3Client } from "@aws-sdk/client-s3";
import { IoTDataPlaneClient } from "@aws-sdk/client-iot-data-plane";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { StageConfig } from "./config";

/**
 * SDK clients built from the stage config, one per distinct setting and reused across warm invocations.
 * Only the endpoint and addressing style differ between AWS and the local stack. A client keeps the credentials
 * it first resolved, so the access key in the environment is part of its identity: each local stack has a key
 * of its own, and one may reuse the port of another that has stopped.
 */
const s3Clients = new Map<string, S3Client>();
const iotClients = new Map<string, IoTDataPlaneClient>();
const sqsClients = new Map<string, SQSClient>();

/**
 * A connection that does not open, or a response that stops arriving, fails the attempt (the SDK then retries)
 * instead of holding the stage until its deadline. Milliseconds; idle time, not a cap on a long download.
 */
const TIMEOUTS = { connectionTimeout: 3000, requestTimeout: 15000 };

const credentialsId = (): string => process.env.AWS_ACCESS_KEY_ID ?? "";

export function s3Client(config: StageConfig): S3Client {
  const id = `${config.region}|${config.s3Endpoint ?? ""}|${config.s3ForcePathStyle}|${credentialsId()}`;
  let client = s3Clients.get(id);
  if (!client) {
    client = new S3Client({
      region: config.region,
      endpoint: config.s3Endpoint,
      forcePathStyle: config.s3ForcePathStyle,
      requestHandler: TIMEOUTS,
      // The SDK's default adds a CRC32 of the (empty) body to presigned PUT URLs, which real S3 then
      // rejects for the browser's actual body. Checksums only where an operation requires them.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    s3Clients.set(id, client);
  }
  return client;
}

export function iotClient(config: StageConfig): IoTDataPlaneClient {
  if (!config.iotEndpoint) throw new Error("IOT_ENDPOINT is not set");
  const id = `${config.region}|${config.iotEndpoint}|${credentialsId()}`;
  let client = iotClients.get(id);
  if (!client) {
    client = new IoTDataPlaneClient({ region: config.region, endpoint: config.iotEndpoint, requestHandler: TIMEOUTS });
    iotClients.set(id, client);
  }
  return client;
}

/** The failure reporter's queue client (the AWS SDK's AWS_ENDPOINT_URL_SQS points it elsewhere, for tests). */
export function sqsClient(config: StageConfig): SQSClient {
  let client = sqsClients.get(config.region);
  if (!client) {
    client = new SQSClient({ region: config.region });
    sqsClients.set(config.region, client);
  }
  return client;
}
