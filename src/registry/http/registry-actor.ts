/**
 * Who a registry request is made as, for the audit history. Until the auth
 * station verifies users, this is the user name the client claims in HTTP
 * Basic credentials (MLflow clients send `MLFLOW_TRACKING_USERNAME` that
 * way), and null when it sends none.
 * @module
 */
import type { FastifyRequest } from "fastify";
import { claimedBasicUser } from "../../server/http/basic-user.js";
import type { Actor } from "../../shared/registry-types.js";

export function actorOf(req: FastifyRequest): Actor {
  return claimedBasicUser(req.headers.authorization);
}
