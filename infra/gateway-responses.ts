// API Gateway's own answers (throttling 429, a missing route, a Lambda that failed: 502/504) come from its
// gateway responses, not from our handler, so they carry no CORS headers unless declared here, and the browser
// then reports a CORS error instead of "try again". Declared in the API's OpenAPI document (where awsx puts its
// own), since the REST API is imported from that document and would drop responses declared beside it.
import type { SwaggerGatewayResponse } from "@pulumi/awsx/classic/apigateway/swagger_json";

/** API Gateway's default body for its own errors, kept: `{"message": "Too Many Requests"}` and the like. */
const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/**
 * The CORS headers of every gateway response, for the configured origins. Unless any origin is allowed ("*"), the
 * request's Origin is echoed: the stack's own page is allowed beside the configured origins, at a CloudFront
 * domain known only once deployed, so a header fixed now could never name it. Echoing lets any page read these
 * error bodies, which hold nothing but the error.
 */
export function corsResponseParameters(allowedOrigins: readonly string[]): Record<string, string> {
  const any = allowedOrigins.includes("*");
  return {
    "gatewayresponse.header.Access-Control-Allow-Origin": any ? "'*'" : "method.request.header.Origin",
    "gatewayresponse.header.Access-Control-Allow-Methods": "'GET, OPTIONS'",
    "gatewayresponse.header.Access-Control-Allow-Headers": "'Content-Type'",
    ...(any ? {} : { "gatewayresponse.header.Vary": "'Origin'" }),
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
