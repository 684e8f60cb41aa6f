// API Gateway's own answers (throttling 429, a missing route, a Lambda that failed: 502/504) come from its
// gateway responses, not from our handler, so they carry no CORS headers unless declared here, and the browser
// then reports a CORS error instead of "try again". Declared in the API's OpenAPI document (where awsx puts its
// own), since the REST API is imported from that document and would drop responses declared beside it.
import type { SwaggerGatewayResponse } from "@pulumi/awsx/classic/apigateway/swagger_json";

/** API Gateway's default body for its own errors, kept: `{"message": "Too Many Requests"}` and the like. */
const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/**
 * The CORS headers of every gateway response. One allowed origin (or "*") is named as is; with several, the
 * request's Origin is echoed, which lets any page read these error bodies: they hold nothing but the error.
 */
export function corsResponseParameters(allowedOrigins: readonly string[]): Record<string, string> {
  const origin =
    allowedOrigins.includes("*") || allowedOrigins.length === 1
      ? `'${allowedOrigins.includes("*") ? "*" : allowedOrigins[0]}'`
      : "method.request.header.Origin";
  return {
    "gatewayresponse.header.Access-Control-Allow-Origin": origin,
    "gatewayresponse.header.Access-Control-Allow-Methods": "'GET, OPTIONS'",
    "gatewayresponse.header.Access-Control-Allow-Headers": "'Content-Type'",
    ...(allowedOrigins.includes("*") ? {} : { "gatewayresponse.header.Vary": "'Origin'" }),
  };
}

/**
 * DEFAULT_4XX and DEFAULT_5XX keep each error's own status (no statusCode); awsx answers a missing route or a
 * denied one with 404 (it sets those two types itself), so they are restated here with the headers.
 */
export function corsGatewayResponses(allowedOrigins: readonly string[]): Record<string, SwaggerGatewayResponse> {
  const responseParameters = corsResponseParameters(allowedOrigins);
  const withCors = (statusCode?: number, message?: string): SwaggerGatewayResponse =>
    // awsx's type requires a statusCode; API Gateway does not, and a default response must not fix one.
    ({
      ...(statusCode ? { statusCode } : {}),
      responseParameters,
      responseTemplates: { "application/json": message ? JSON.stringify({ message }) : DEFAULT_TEMPLATE },
    }) as SwaggerGatewayResponse;
  return {
    DEFAULT_4XX: withCors(),
    DEFAULT_5XX: withCors(),
    MISSING_AUTHENTICATION_TOKEN: withCors(404, "404 Not found"),
    ACCESS_DENIED: withCors(404, "404 Not found"),
  };
}
