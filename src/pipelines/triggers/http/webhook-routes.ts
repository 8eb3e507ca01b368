/**
 * `POST /api/ciclo/v1/pipelines/webhooks/{github|gitlab|azure}/<trigger-id>`:
 * where a git provider delivers push events. Public (no ciclo sign-in: the
 * provider proves itself with the trigger's secret), so this plugin parses
 * its own bodies: JSON only, kept as the raw bytes the signature covers, and
 * at most `maxBodyBytes` (413 beyond).
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import { access } from "../../../server/http/route-access.js";
import { InvalidParameterValueError } from "../../../shared/errors.js";
import type { TriggerService } from "../trigger-service.js";
import { WEBHOOK_KINDS } from "../trigger-types.js";
import { answerToWire, WebhookResponse } from "./trigger-wire.js";

export interface WebhookRouteOptions {
  service: TriggerService;
  /** Largest delivery accepted, bytes (default 2 MiB; GitHub's push payloads rarely pass 100 KiB). */
  maxBodyBytes?: number;
}

const rawBodies = new WeakMap<object, Buffer>();

export const webhookRoutes: FastifyPluginAsyncTypebox<WebhookRouteOptions> = async (app, opts) => {
  const limit = opts.maxBodyBytes ?? 2 * 1024 * 1024;
  // This plugin's own parser (encapsulated: other routes keep the server's): the signature is over these bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer", bodyLimit: limit }, (req, body, done) => {
    const buf = body as Buffer;
    rawBodies.set(req, buf);
    let value: unknown;
    try {
      value = JSON.parse(buf.toString("utf8"));
    } catch (err) {
      done(new InvalidParameterValueError(`The delivery's body is not JSON (${(err as Error).message}); set the webhook's content type to application/json.`), undefined);
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      done(new InvalidParameterValueError("The delivery's body must be a JSON object."), undefined);
      return;
    }
    done(null, value);
  });

  app.post(
    "/pipelines/webhooks/:provider/:trigger_id",
    {
      bodyLimit: limit,
      schema: {
        params: Type.Object({ provider: Type.Union(WEBHOOK_KINDS.map((k) => Type.Literal(k))), trigger_id: Type.String({ maxLength: 64, pattern: "^[A-Za-z0-9]+$" }) }),
        body: Type.Record(Type.String(), Type.Unknown()),
        response: { 200: WebhookResponse, 202: WebhookResponse },
      },
      config: access("job", "public"),
    },
    async (req, reply) => {
      const raw = rawBodies.get(req);
      if (!raw) throw new InvalidParameterValueError("A webhook delivery needs a JSON body (Content-Type: application/json).");
      const answer = await opts.service.receiveWebhook(req.params.provider, req.params.trigger_id, req.headers, raw, req.body);
      return reply.status(answer.status).send(answerToWire(answer));
    },
  );
};
