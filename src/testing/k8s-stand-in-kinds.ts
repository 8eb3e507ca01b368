/**
 * The resource kinds the Kubernetes API stand-in serves, each with what the
 * API server does for it: the official OpenAPI schema an applied object is
 * validated against (kubernetes-models), and what deleting it does to the
 * objects it owns when the request names no propagationPolicy (the garbage
 * collector's default: `Background`, but `Orphan` for `batch/v1` Jobs, kept
 * for compatibility — so ciclo names `Background` when it deletes a Job).
 * @module
 */
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import type { Obj } from "./k8s-stand-in-apply.js";

export type Propagation = "Orphan" | "Background" | "Foreground";

export interface Kind {
  apiVersion: string;
  kind: string;
  plural: string;
  /** Throws when the object does not validate against the kind's schema. */
  validate?: (o: Obj) => void;
  /** Deleting without a propagationPolicy: what happens to the objects it owns. */
  defaultPropagation: Propagation;
}

export const KINDS: Kind[] = [
  { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", validate: (o) => new Deployment(o as never).validate(), defaultPropagation: "Background" },
  { apiVersion: "v1", kind: "Service", plural: "services", validate: (o) => new Service(o as never).validate(), defaultPropagation: "Background" },
  {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    plural: "horizontalpodautoscalers",
    validate: (o) => new HorizontalPodAutoscaler(o as never).validate(),
    defaultPropagation: "Background",
  },
  { apiVersion: "batch/v1", kind: "Job", plural: "jobs", validate: (o) => new Job(o as never).validate(), defaultPropagation: "Orphan" },
  { apiVersion: "v1", kind: "Secret", plural: "secrets", validate: (o) => new Secret(o as never).validate(), defaultPropagation: "Background" },
  { apiVersion: "v1", kind: "Pod", plural: "pods", defaultPropagation: "Background" },
  { apiVersion: "v1", kind: "Event", plural: "events", defaultPropagation: "Background" },
];

export function kindNamed(kind: string, apiVersion?: string): Kind {
  const k = KINDS.find((x) => x.kind === kind && (apiVersion === undefined || x.apiVersion === apiVersion));
  if (!k) throw new Error(`the API stand-in serves no ${apiVersion ?? ""} ${kind}`);
  return k;
}
