import type { APIGatewayProxyEvent } from "aws-lambda";

export interface PlainRequest {
  method: string;
  /** Path and query string as received, e.g. "/Upload?x=1". */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string | null;
  sourceIp: string;
  /** Milliseconds since the epoch, for requestContext.requestTimeEpoch. */
  now: number;
  requestId: string;
}

/**
 * The API Gateway (REST, proxy integration) event for an HTTP request, as the presign Lambda receives it:
 * single and multi-value headers and query parameters, path, resource and a request context.
 */
export function toApiGatewayEvent(req: PlainRequest, resource: string, stage = "local"): APIGatewayProxyEvent {
  const url = new URL(req.url, "http://local");
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(",");
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource,
    path: url.pathname,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: req.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      authorizer: undefined,
      protocol: "HTTP/1.1",
      httpMethod: req.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.sourceIp,
        user: null,
        userAgent: headers["user-agent"] ?? null,
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      stage,
      requestId: req.requestId,
      requestTimeEpoch: req.now,
      resourceId: "local",
      resourcePath: resource,
    },
  };
}
