/** Claims → a ciclo identity: username claim fallbacks, groups as a list or a string, admin and allowed groups; the server flags' checks. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveOidcConfig } from "../../server/config.js";
import { identityFromClaims, type OidcSettings } from "./oidc-settings.js";

const base: OidcSettings = { issuer: "https://idp.example.com", clientId: "ciclo", scopes: ["openid"], groupsClaim: "groups", adminGroups: ["ml-admins"], allowedGroups: [] };

test("the username comes from preferred_username, then email, then sub; the subject is issuer + sub", () => {
  assert.deepEqual(identityFromClaims(base, { sub: "u1", preferred_username: "alice", email: "a@x", groups: ["ml-admins", "x"] }), {
    subject: "https://idp.example.com u1",
    username: "alice",
    groups: ["ml-admins", "x"],
    isAdmin: true,
    grants: null,
  });
  assert.equal((identityFromClaims(base, { sub: "u2", email: "bob@x" }) as { username: string }).username, "bob@x");
  assert.equal((identityFromClaims(base, { sub: "u3" }) as { username: string }).username, "u3");
  assert.match((identityFromClaims({ ...base, usernameClaim: "upn" }, { sub: "u4", preferred_username: "p" }) as { refused: string }).refused, /no 'upn' claim/);
  assert.match((identityFromClaims(base, { preferred_username: "p" }) as { refused: string }).refused, /no subject/);
});

test("groups as a list, a space/comma string, or a custom claim; allowed groups refuse others; admin groups always pass", () => {
  assert.equal((identityFromClaims(base, { sub: "a", groups: "x ml-admins" }) as { isAdmin: boolean }).isAdmin, true);
  assert.equal((identityFromClaims({ ...base, groupsClaim: "roles" }, { sub: "a", roles: ["ml-admins"], groups: [] }) as { isAdmin: boolean }).isAdmin, true);
  const gated = { ...base, allowedGroups: ["ml-team"] };
  assert.equal((identityFromClaims(gated, { sub: "a", preferred_username: "dave", groups: ["ml-team"] }) as { isAdmin: boolean }).isAdmin, false);
  assert.match((identityFromClaims(gated, { sub: "a", preferred_username: "eve", groups: ["sales"] }) as { refused: string }).refused, /'eve' is in none of the groups allowed/);
  assert.equal((identityFromClaims(gated, { sub: "a", groups: ["ml-admins"] }) as { isAdmin: boolean }).isAdmin, true, "an admin group member may sign in");
  assert.equal((identityFromClaims(base, { sub: "a", groups: [1, null, "ml-admins"] }) as { groups: string[] }).groups.length, 1, "non-string groups dropped");
});

test("server settings: SSO is on with an issuer, needs a client id, and lists are split", () => {
  assert.equal(resolveOidcConfig({}, {}), undefined);
  assert.throws(() => resolveOidcConfig({ oidcIssuer: "https://idp.example.com" }, {}), /needs the client id/);
  assert.throws(() => resolveOidcConfig({ oidcIssuer: "not a url", oidcClientId: "c" }, {}), /Invalid OpenID issuer/);
  assert.throws(() => resolveOidcConfig({ oidcIssuer: "ftp://idp", oidcClientId: "c" }, {}), /must be an https URL/);
  const c = resolveOidcConfig({}, { CICLO_OIDC_ISSUER: "https://idp", CICLO_OIDC_CLIENT_ID: "c", CICLO_OIDC_ADMIN_GROUPS: "a, b,,", CICLO_OIDC_SCOPES: "openid groups" })!;
  assert.deepEqual([c.adminGroups, c.allowedGroups, c.scopes, c.groupsClaim], [["a", "b"], [], ["openid", "groups"], "groups"]);
});
