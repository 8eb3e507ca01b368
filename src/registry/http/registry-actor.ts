/**
 * Who a registry request is made as, for the audit history. Until the auth
 * station verifies users, this is the user name the client claims in HTTP
 * Basic credentials (MLflow clients send `MLFLOW_TRACKING_USERNAME` that
 * way), and null when it sends none.
 * @module
 */
import type { FastifyRequest } from "fastify";
import type { Actor } from "../../shared/registry-types.js";

export function actorOf(req: FastifyRequest): Actor {
  const header = req.headers.authorization;
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = (colon < 0 ? decoded : decoded.slice(0, colon)).trim();
  // A bounded, printable name: it is stored in a varchar(256) column and shown in the UI.
  if (user === "" || user.length > 256 || /[\u0000-\u001f\u007f]/.test(user)) return null;
  return user;
}
