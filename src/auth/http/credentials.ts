/** Reading a request's credentials: HTTP Basic or a Bearer token. */
import { UnauthenticatedError } from "../auth-errors.js";

export type Credentials = { kind: "basic"; username: string; password: string } | { kind: "bearer"; token: string };

export function readCredentials(header: string | undefined): Credentials | undefined {
  if (header === undefined || header === "") return undefined;
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? "" : header.slice(space + 1).trim();
  if (scheme === "bearer" && value !== "") return { kind: "bearer", token: value };
  if (scheme === "basic" && value !== "") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new UnauthenticatedError("Malformed HTTP Basic credentials: expected base64 of 'username:password'.");
    return { kind: "basic", username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  throw new UnauthenticatedError("Unsupported Authorization header: use 'Basic <base64 user:password>' or 'Bearer <token>'.");
}
