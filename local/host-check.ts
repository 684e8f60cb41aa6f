/**
 * Whether a request's Host header names this machine (or a host the user opened the stack on, as listed in
 * ALLOWED_ORIGINS). A web page can rebind its own domain name to 127.0.0.1 and then talk to the stack as its
 * own origin, where CORS no longer protects anything; its requests still carry its domain as Host, so they end
 * here.
 */
export function hostAllowed(host: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (host === undefined) return false;
  if (allowedOrigins.includes("*")) return true;
  const name = host.toLowerCase().replace(/:\d+$/, "");
  if (name === "localhost" || name === "127.0.0.1" || name === "[::1]") return true;
  return allowedOrigins.some((origin) => {
    try {
      // By name, not port: the page's origin and S3 share a host on different ports (npm start -- --host), and a
      // rebinding page is told apart by its name.
      return new URL(origin).hostname.toLowerCase() === name;
    } catch {
      return false;
    }
  });
}
