/**
 * Who a deployments request is made as, for the audit history and the use of
 * secrets: the signed-in user when authentication is on (whatever way they
 * signed in), else the user name a client claims in HTTP Basic credentials
 * (as the registry records it), or null.
 * @module
 */
import type { FastifyRequest } from "fastify";

export function requestActor(req: FastifyRequest): string | null {
  const verified = (req as { principal?: { user?: { username?: unknown } } | null }).principal?.user?.username;
  if (typeof verified === "string") return verified;
  const header = req.headers.authorization;
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = (colon < 0 ? decoded : decoded.slice(0, colon)).trim();
  if (user === "" || user.length > 256 || /[\u0000-\u001f\u007f]/.test(user)) return null;
  return user;
}
