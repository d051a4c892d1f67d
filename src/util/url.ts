// URLs in messages and logs.

/**
 * Hide path and query in messages: RPC provider URLs usually carry an API key
 * there, and these messages end up in logs.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hasSecretPart = (u.pathname !== "/" && u.pathname !== "") || u.search !== "" || u.username !== "";
    return hasSecretPart ? `${u.protocol}//${u.host}/…` : `${u.protocol}//${u.host}`;
  } catch {
    return "<invalid url>";
  }
}
