/**
 * Security, open redirect after single sign-on: `GET /auth/oidc/login?return_to=`
 * names where the browser goes once signed in. Only a path of this server is
 * kept; anything a browser reads as another site is replaced by `/`. Browsers
 * drop tabs and newlines from a URL and read `\` as `/`, so `/<TAB>/evil.example`
 * and `/\evil.example` are `//evil.example` to them. Attacked on a real
 * `ciclo server --auth` (child process) with a real OpenID provider
 * (`oidc-provider`); the kept path is read from the sign-in's pending cookie,
 * which the callback redirects to.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { OIDC_CLIENT, reserveOidcProvider, type OidcProviderFixture } from "../testing/oidc-provider.js";
import { tempDir } from "../testing/temp-dir.js";

describe("single sign-on's return path", () => {
  const dir = tempDir("ciclo-sec-sso-");
  let idp: OidcProviderFixture;
  let server: ChildServer;

  before(async () => {
    idp = await reserveOidcProvider();
    server = await startChildServer(`sqlite:///${join(dir.path, "ciclo.db")}`, join(dir.path, "artifacts"), {
      args: ["--auth"],
      env: {
        CICLO_ADMIN_USERNAME: "admin",
        CICLO_ADMIN_PASSWORD: "admin-password-1",
        CICLO_OIDC_ISSUER: idp.issuer,
        CICLO_OIDC_CLIENT_ID: OIDC_CLIENT.id,
        CICLO_OIDC_CLIENT_SECRET: OIDC_CLIENT.secret,
      },
    });
    await idp.start({ redirectUri: `${server.url}/api/ciclo/v1/auth/oidc/callback`, groups: {} });
  });
  after(async () => {
    server?.proc.kill();
    await server?.exited;
    await idp?.close();
    dir.remove();
  });

  const kept = async (returnTo: string): Promise<string> => {
    const res = await fetch(`${server.url}/api/ciclo/v1/auth/oidc/login?return_to=${encodeURIComponent(returnTo)}`, { redirect: "manual" });
    assert.equal(res.status, 302, await res.text());
    assert.ok(res.headers.get("location")!.startsWith(idp.issuer), "the sign-in goes to the provider");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("ciclo_oidc="));
    assert.ok(cookie, res.headers.getSetCookie().join("; "));
    const value = decodeURIComponent(cookie.slice("ciclo_oidc=".length).split(";")[0]!);
    return (JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as { returnTo: string }).returnTo;
  };

  test("a path of this server is kept", async () => {
    assert.equal(await kept("/experiments/3?tab=runs#chart"), "/experiments/3?tab=runs#chart");
    assert.equal(await kept("/models/fraud%2Fv2"), "/models/fraud%2Fv2");
  });

  test("anything a browser reads as another site becomes /", async () => {
    for (const hostile of ["https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", "/%09/evil.example".replace("%09", "\t"), "/x\\..\\..\\/evil.example", "javascript:alert(1)", ""]) {
      assert.equal(await kept(hostile), "/", JSON.stringify(hostile));
    }
  });
});
