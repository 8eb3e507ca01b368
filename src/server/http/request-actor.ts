/**
 * Who a request is made as, for the audit histories (the registry's, the
 * deployments') and the use of secrets: the signed-in user when authentication
 * is on, whatever way they signed in (password, token, session, OpenID); with
 * it off, the user name a client claims in HTTP Basic credentials (MLflow
 * clients send `MLFLOW_TRACKING_USERNAME` that way), or null when it sends none.
 * @module
 */
import type { FastifyRequest } from "fastify";
import { claimedBasicUser } from "./basic-user.js";

export function requestActor(req: FastifyRequest): string | null {
  const verified = (req as { principal?: { user?: { username?: unknown } } | null }).principal?.user?.username;
  if (typeof verified === "string") return verified;
  return claimedBasicUser(req.headers.authorization);
}
