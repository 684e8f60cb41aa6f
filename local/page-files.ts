import * as path from "node:path";

/**
 * The content types of the guests' page files (local/web/), served by the local web server and from the page's
 * bucket in the cloud alike (`.json` for the front-end configuration beside them).
 */
export const PAGE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

/** The MQTT client the page loads as /vendor/mqtt.min.js: the mqtt package's browser build. */
export const MQTT_CLIENT_SCRIPT = path.join(path.dirname(require.resolve("mqtt/package.json")), "dist", "mqtt.min.js");
