/**
 * Who a deployments request is made as, for the audit history: the user name
 * a client claims in HTTP Basic credentials (as the registry records it until
 * the auth station verifies users), or null.
 * @module
 */
import type { FastifyRequest } from "fastify";

export function requestActor(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = (colon < 0 ? decoded : decoded.slice(0, colon)).trim();
  if (user === "" || user.length > 256 || /[\u0000-\u001f\u007f]/.test(user)) return null;
  return user;
}
