/**
 * A provider's webhook delivery, read into what a trigger decides on: which
 * delivery (its id, for replay refusal), which event, which repository and
 * branch, which commit, who pushed, and when it was sent where the provider
 * says so (Azure DevOps' `createdDate`; GitHub and GitLab send no time, so
 * their replays are refused by delivery id alone).
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import { header, type Headers } from "./webhook-signature.js";
import type { WebhookKind } from "./trigger-types.js";

export interface GitDelivery {
  provider: WebhookKind;
  deliveryId: string;
  /** `push`, `ping` (GitHub's and a test delivery), or another event, passed as `other`. */
  event: "push" | "ping" | "other";
  /** The provider's own name of the event (`push`, `Push Hook`, `git.push`). */
  eventName: string;
  repository?: string;
  cloneUrl?: string;
  /** `refs/heads/main`. */
  ref?: string;
  /** The pushed commit; undefined for a deleted branch. */
  sha?: string;
  actor?: string;
  /** Epoch ms the provider created the delivery, when it says. */
  sentAt?: number;
}

const ZERO_SHA = /^0+$/;
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined);

function deliveryId(value: string | undefined, what: string): string {
  if (!value) throw new InvalidParameterValueError(`The delivery has no ${what}; ciclo needs it to refuse replays.`);
  if (!DELIVERY_ID.test(value)) throw new InvalidParameterValueError(`The delivery's ${what} is not an id (letters, digits, '.', '_', ':', '-', at most 128).`);
  return value;
}

export function readDelivery(kind: WebhookKind, headers: Headers, body: Record<string, unknown>): GitDelivery {
  switch (kind) {
    case "github": {
      const eventName = header(headers, "x-github-event") ?? "";
      const repo = obj(body.repository);
      const sha = str(body.after);
      return {
        provider: kind,
        deliveryId: deliveryId(header(headers, "x-github-delivery"), "X-GitHub-Delivery header"),
        event: eventName === "push" ? "push" : eventName === "ping" ? "ping" : "other",
        eventName,
        repository: str(repo.full_name),
        cloneUrl: str(repo.clone_url),
        ref: str(body.ref),
        sha: sha && !ZERO_SHA.test(sha) ? sha : undefined,
        actor: str(obj(body.pusher).name) ?? str(obj(body.sender).login),
      };
    }
    case "gitlab": {
      const eventName = header(headers, "x-gitlab-event") ?? "";
      const project = obj(body.project);
      const sha = str(body.checkout_sha) ?? str(body.after);
      // GitLab 17.4+ keeps Idempotency-Key across its own retries; X-Gitlab-Event-UUID identifies the event.
      const id = header(headers, "idempotency-key") ?? header(headers, "x-gitlab-event-uuid");
      return {
        provider: kind,
        deliveryId: deliveryId(id, "X-Gitlab-Event-UUID (or Idempotency-Key) header"),
        event: body.object_kind === "push" ? "push" : "other",
        eventName,
        repository: str(project.path_with_namespace),
        cloneUrl: str(project.git_http_url),
        ref: str(body.ref),
        sha: sha && !ZERO_SHA.test(sha) ? sha : undefined,
        actor: str(body.user_username) ?? str(body.user_name),
      };
    }
    case "azure": {
      const eventName = str(body.eventType) ?? "";
      const resource = obj(body.resource);
      const repo = obj(resource.repository);
      const update = obj(Array.isArray(resource.refUpdates) ? resource.refUpdates[0] : undefined);
      const sha = str(update.newObjectId);
      const created = str(body.createdDate);
      const sentAt = created ? Date.parse(created) : NaN;
      // An event's id is the same in every notification Azure DevOps sends of it (and in its retries).
      return {
        provider: kind,
        deliveryId: deliveryId(str(body.id), "id field"),
        event: eventName === "git.push" ? "push" : eventName === "service.hook.test" ? "ping" : "other",
        eventName,
        repository: str(repo.name),
        cloneUrl: str(repo.remoteUrl),
        ref: str(update.name),
        sha: sha && !ZERO_SHA.test(sha) ? sha : undefined,
        actor: str(obj(resource.pushedBy).uniqueName) ?? str(obj(resource.pushedBy).displayName),
        sentAt: Number.isFinite(sentAt) ? sentAt : undefined,
      };
    }
  }
}

/** `main` for `refs/heads/main`; undefined for tags and other refs. */
export function branchOf(ref: string | undefined): string | undefined {
  return ref?.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
}

/** A branch name against a pattern: `*` matches within a path segment, `**` across them (GitHub Actions' rules, simplified). */
export function branchMatches(pattern: string, branch: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (c === "*") re += "[^/]*";
    else re += c.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`).test(branch);
}
