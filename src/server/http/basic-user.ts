/**
 * The user name a client claims in HTTP Basic credentials (MLflow clients send
 * `MLFLOW_TRACKING_USERNAME` that way), unverified: who the audit history
 * records a request as when no sign-in verified a user (request-actor.ts).
 * @module
 */

/** The name in an `Authorization: Basic` header, or null: none, or not a bounded, printable name. */
export function claimedBasicUser(authorization: string | undefined): string | null {
  if (!authorization || !/^basic /i.test(authorization)) return null;
  const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = (colon < 0 ? decoded : decoded.slice(0, colon)).trim();
  // A bounded, printable name: it is stored in a varchar(256) column and shown in the UI.
  if (user === "" || user.length > 256 || /[\u0000-\u001f\u007f]/.test(user)) return null;
  return user;
}
