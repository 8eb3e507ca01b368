/**
 * A real OpenID provider for tests: the `oidc-provider` package (an
 * OpenID-certified implementation) on a loopback port, with its development
 * sign-in pages (any login name, any password), one confidential client for
 * ciclo (PKCE required) and a `groups` claim per account.
 *
 * Its port is taken first and the provider made later, because its client's
 * redirect URI names ciclo's port, and ciclo needs the issuer to start:
 * ```ts
 * const idp = await reserveOidcProvider();                 // issuer known
 * const ciclo = await startServer({ CICLO_OIDC_ISSUER: idp.issuer, ... });
 * idp.start({ redirectUri: `${ciclo.url}/api/ciclo/v1/auth/oidc/callback`, groups: { carol: ["ml-admins"] } });
 * ```
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const OIDC_CLIENT = { id: "ciclo", secret: "ciclo-test-client-secret-0123456789" };

export interface OidcProviderFixture {
  issuer: string;
  start(opts: { redirectUri: string; groups: Record<string, string[]> }): Promise<void>;
  close(): Promise<void>;
}

export async function reserveOidcProvider(): Promise<OidcProviderFixture> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handler) return handler(req, res);
    res.statusCode = 503;
    res.end("provider not started");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    async start({ redirectUri, groups }) {
      // The package ships no types (its @types package lags it); the little used here is typed by hand.
      const pkg: string = "oidc-provider";
      const { default: Provider } = (await import(pkg)) as { default: new (issuer: string, config: object) => { callback(): unknown } };
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: OIDC_CLIENT.id,
            client_secret: OIDC_CLIENT.secret,
            redirect_uris: [redirectUri],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            token_endpoint_auth_method: "client_secret_basic",
          },
        ],
        pkce: { required: () => true },
        claims: { openid: ["sub"], profile: ["preferred_username", "name"], email: ["email"], groups: ["groups"] },
        scopes: ["openid", "profile", "email", "groups"],
        cookies: { keys: ["test-only-cookie-signing-key"] },
        async findAccount(_ctx: unknown, id: string) {
          return {
            accountId: id,
            async claims() {
              return { sub: id, preferred_username: id, name: id, email: `${id}@example.com`, groups: groups[id] ?? [] };
            },
          };
        },
      });
      handler = provider.callback() as unknown as (req: IncomingMessage, res: ServerResponse) => void;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
