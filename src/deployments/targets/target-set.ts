/**
 * The targets a server runs, behind the one face the deployments module
 * uses: each deployment goes to the target it names (`local`, `container`);
 * one that moves to another target leaves the old one; questions about a
 * deployment (ready URLs, status, logs) go to whichever target holds it.
 * @module
 */
import type { Deployment } from "../endpoints/endpoint-types.js";
import type { LocalTarget, ReplicaStatus } from "./local-target.js";

export class TargetSet {
  constructor(private readonly targets: Record<string, LocalTarget>) {}

  private holder(endpoint: string, name: string): LocalTarget | undefined {
    return Object.values(this.targets).find((t) => t.deployments().some((d) => d.endpoint === endpoint && d.name === name));
  }

  async apply(d: Deployment): Promise<void> {
    for (const [kind, t] of Object.entries(this.targets)) {
      if (kind !== d.target && t.deployments().some((x) => x.endpoint === d.endpoint && x.name === d.name)) await t.remove(d.endpoint, d.name);
    }
    await this.targets[d.target]?.apply(d);
  }

  async remove(endpoint: string, name: string): Promise<void> {
    await Promise.all(Object.values(this.targets).map((t) => t.remove(endpoint, name)));
  }

  async restart(endpoint: string, name: string, index: number): Promise<void> {
    await this.holder(endpoint, name)?.restart(endpoint, name, index);
  }

  deployments(): Deployment[] {
    return Object.values(this.targets).flatMap((t) => t.deployments());
  }

  readyUrls(endpoint: string, name: string): string[] {
    return this.holder(endpoint, name)?.readyUrls(endpoint, name) ?? [];
  }

  status(endpoint: string, name: string): ReplicaStatus[] {
    return this.holder(endpoint, name)?.status(endpoint, name) ?? [];
  }

  logs(endpoint: string, name: string, tail: number): string[] {
    return this.holder(endpoint, name)?.logs(endpoint, name, tail) ?? [];
  }

  /** Stops what a previous ciclo left: the records do not say which target started a replica, so every runner looks. */
  async cleanupStale(): Promise<number> {
    const [first, ...rest] = Object.values(this.targets);
    return first ? first.cleanupStale(rest.map((t) => t.replicaRunner)) : 0;
  }

  async stopAll(): Promise<void> {
    await Promise.all(Object.values(this.targets).map((t) => t.stopAll()));
  }
}
