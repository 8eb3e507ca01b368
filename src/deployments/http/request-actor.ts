/**
 * Who a deployments request is made as, for the audit history and the use of
 * secrets: the signed-in user when authentication is on (whatever way they
 * signed in), else the user name a client claims in HTTP Basic credentials
 * (as the registry records it), or null.
 * @module
 */
import type { FastifyRequest } from "fastify";
import { claimedBasicUser } from "../../server/http/basic-user.js";

export function requestActor(req: FastifyRequest): string | null {
  const verified = (req as { principal?: { user?: { username?: unknown } } | null }).principal?.user?.username;
  if (typeof verified === "string") return verified;
  return claimedBasicUser(req.headers.authorization);
}
