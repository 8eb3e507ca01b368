/**
 * Single sign-on with OpenID Connect: what the server is told about the
 * provider, and how the provider's claims become a ciclo user (username and
 * admin flag from the groups claim, permissions from the groups mapping).
 * @module
 */
import { COMMAS_OR_SPACES, parseList } from "../../shared/text-list.js";
import { grantsForGroups, type GroupGrants, type GroupPermission } from "../group-grants.js";

export interface OidcSettings {
  /** The provider's issuer URL (its discovery document is `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  /** The client secret itself (`CICLO_OIDC_CLIENT_SECRET`) ... */
  clientSecret?: string;
  /** ... or the name of a secret in ciclo's secrets store holding it (`CICLO_OIDC_CLIENT_SECRET_NAME`). */
  clientSecretName?: string;
  /** Where the provider sends the browser back: `<ciclo URL>/api/ciclo/v1/auth/oidc/callback`. */
  redirectUrl?: string;
  /** Scopes asked for (default `openid profile email`; Okta needs `groups` added to send groups). */
  scopes: string[];
  /** The claim naming the user (default `preferred_username`, then `email`, then `sub`). */
  usernameClaim?: string;
  /** The claim listing the user's groups (default `groups`; Entra ID sends group object ids, or `roles` for app roles). */
  groupsClaim: string;
  /** Members of any of these groups are ciclo admins (checked at every sign-in). */
  adminGroups: string[];
  /** When set, only members of one of these groups (or an admin group) may sign in. */
  allowedGroups: string[];
  /** Permissions members of a group get, on everything or on named resources (`CICLO_OIDC_GROUP_PERMISSIONS`). */
  groupPermissions?: GroupPermission[];
  /** The button's text on the sign-in page (default "Sign in with SSO"). */
  label?: string;
}

export interface SsoIdentity {
  /** `issuer sub`: what links a ciclo user to the identity, stable even when the username changes. */
  subject: string;
  username: string;
  groups: string[];
  isAdmin: boolean;
  /** What the groups mapping gives this user (null: nothing); applied at every sign-in. */
  grants: GroupGrants | null;
}

/** The identity the claims describe, or an error message saying why it may not sign in. */
export function identityFromClaims(settings: OidcSettings, claims: Record<string, unknown>): SsoIdentity | { refused: string } {
  const sub = claims.sub;
  if (typeof sub !== "string" || sub === "") return { refused: "The provider's answer has no subject (sub claim)." };
  const pick = (name: string) => (typeof claims[name] === "string" && claims[name] !== "" ? (claims[name] as string) : undefined);
  const username = settings.usernameClaim ? pick(settings.usernameClaim) : (pick("preferred_username") ?? pick("email") ?? sub);
  if (!username) return { refused: `The provider's answer has no '${settings.usernameClaim}' claim to name the user (see CICLO_OIDC_USERNAME_CLAIM).` };
  const raw = claims[settings.groupsClaim];
  const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === "string") : typeof raw === "string" ? parseList(raw, COMMAS_OR_SPACES) : [];
  const isAdmin = groups.some((g) => settings.adminGroups.includes(g));
  if (settings.allowedGroups.length > 0 && !isAdmin && !groups.some((g) => settings.allowedGroups.includes(g))) {
    return { refused: `'${username}' is in none of the groups allowed to use ciclo; ask your identity provider's admin to add you to one.` };
  }
  return { subject: `${settings.issuer} ${sub}`, username, groups, isAdmin, grants: grantsForGroups(settings.groupPermissions ?? [], groups) };
}
