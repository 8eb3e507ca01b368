/**
 * MLflow's experiment and registered-model permissions: what a user may do
 * with one (admins everything; then the permission stored for the user;
 * then what their SSO groups grant, group-grants.ts; then the default), the
 * readability filters searches use, and MLflow's permission API (create,
 * get, update, delete, the creator's MANAGE). No HTTP here.
 * @module
 */
import { ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../shared/errors.js";
import type { AuthStore, User } from "./auth-store.js";
import { higher } from "./group-grants.js";
import { PERMISSIONS, validatePermission, type PermissionName } from "./permissions.js";

export interface PermissionServiceDeps {
  store: AuthStore;
  defaultPermission: PermissionName;
  /** The user of a name, or RESOURCE_DOES_NOT_EXIST. */
  getUser(username: unknown): Promise<User>;
  audit(type: string, actor: string | null, subject: string | null, detail: string | null, ip: string | null): Promise<void>;
}

export class PermissionService {
  readonly defaultPermission: PermissionName;
  private readonly store: AuthStore;

  constructor(private readonly deps: PermissionServiceDeps) {
    this.store = deps.store;
    this.defaultPermission = deps.defaultPermission;
  }

  /** Without a stored permission: the user's groups' grant on this resource, else the higher of their grant on everything and the default. */
  private fallback(user: User, kind: "experiments" | "models", id: string): PermissionName {
    const g = user.groupGrants;
    if (!g) return this.defaultPermission;
    return g[kind][id] ?? higher(g.all, this.defaultPermission)!;
  }

  private readable(user: User, kind: "experiments" | "models", own: Map<string, boolean>): (id: string) => boolean {
    const dflt = PERMISSIONS[higher(user.groupGrants?.all, this.defaultPermission)!].canRead;
    const named = user.groupGrants?.[kind] ?? {};
    return (id) => own.get(id) ?? (named[id] !== undefined ? PERMISSIONS[named[id]].canRead : dflt);
  }

  /** The permission a user has on an experiment. */
  async experimentPermission(user: User, experimentId: string): Promise<PermissionName> {
    if (user.isAdmin) return "MANAGE";
    return (await this.store.getExperimentPermission(experimentId, user.id)) ?? this.fallback(user, "experiments", experimentId);
  }

  async registeredModelPermission(user: User, name: string): Promise<PermissionName> {
    if (user.isAdmin) return "MANAGE";
    return (await this.store.getRegisteredModelPermission(name, user.id)) ?? this.fallback(user, "models", name);
  }

  /** Per-experiment readability for filtering a search. */
  async readableExperiments(user: User): Promise<(experimentId: string) => boolean> {
    if (user.isAdmin) return () => true;
    const own = new Map((await this.store.listExperimentPermissions(user.id)).map((p) => [p.experimentId, PERMISSIONS[p.permission].canRead]));
    return this.readable(user, "experiments", own);
  }

  async readableModels(user: User): Promise<(name: string) => boolean> {
    if (user.isAdmin) return () => true;
    const own = new Map((await this.store.listRegisteredModelPermissions(user.id)).map((p) => [p.name, PERMISSIONS[p.permission].canRead]));
    return this.readable(user, "models", own);
  }

  async createExperimentPermission(actor: string, experimentId: string, username: unknown, permission: unknown) {
    const perm = validatePermission(permission);
    const user = await this.deps.getUser(username);
    if (!(await this.store.createExperimentPermission({ experimentId, userId: user.id, permission: perm }))) {
      throw new ResourceAlreadyExistsError(`Experiment permission (experiment_id=${experimentId}, username=${user.username}) already exists.`);
    }
    await this.deps.audit("permission.experiment.created", actor, `${experimentId}:${user.username}`, perm, null);
    return { experimentId, userId: user.id, permission: perm };
  }

  /** Called when a user creates an experiment or a registered model: MLflow gives the creator MANAGE. */
  async grantCreator(kind: "experiment" | "registered_model", id: string, user: User): Promise<void> {
    if (kind === "experiment") {
      if (!(await this.store.createExperimentPermission({ experimentId: id, userId: user.id, permission: "MANAGE" }))) {
        await this.store.updateExperimentPermission({ experimentId: id, userId: user.id, permission: "MANAGE" });
      }
    } else if (!(await this.store.createRegisteredModelPermission({ name: id, userId: user.id, permission: "MANAGE" }))) {
      await this.store.updateRegisteredModelPermission({ name: id, userId: user.id, permission: "MANAGE" });
    }
  }

  async getExperimentPermission(experimentId: string, username: unknown) {
    const user = await this.deps.getUser(username);
    const perm = await this.store.getExperimentPermission(experimentId, user.id);
    if (!perm) throw new ResourceDoesNotExistError(`Experiment permission with experiment_id=${experimentId} and username=${user.username} not found`);
    return { experimentId, userId: user.id, permission: perm };
  }

  async updateExperimentPermission(actor: string, experimentId: string, username: unknown, permission: unknown): Promise<void> {
    const perm = validatePermission(permission);
    const user = await this.deps.getUser(username);
    if (!(await this.store.updateExperimentPermission({ experimentId, userId: user.id, permission: perm }))) {
      throw new ResourceDoesNotExistError(`Experiment permission with experiment_id=${experimentId} and username=${user.username} not found`);
    }
    await this.deps.audit("permission.experiment.updated", actor, `${experimentId}:${user.username}`, perm, null);
  }

  async deleteExperimentPermission(actor: string, experimentId: string, username: unknown): Promise<void> {
    const user = await this.deps.getUser(username);
    if (!(await this.store.deleteExperimentPermission(experimentId, user.id))) {
      throw new ResourceDoesNotExistError(`Experiment permission with experiment_id=${experimentId} and username=${user.username} not found`);
    }
    await this.deps.audit("permission.experiment.deleted", actor, `${experimentId}:${user.username}`, null, null);
  }

  listExperimentPermissionsOf(experimentId: string) {
    return this.store.listExperimentPermissionsOf(experimentId);
  }

  async createRegisteredModelPermission(actor: string, name: string, username: unknown, permission: unknown) {
    const perm = validatePermission(permission);
    const user = await this.deps.getUser(username);
    if (!(await this.store.createRegisteredModelPermission({ name, userId: user.id, permission: perm }))) {
      throw new ResourceAlreadyExistsError(`Registered model permission (name=${name}, username=${user.username}) already exists.`);
    }
    await this.deps.audit("permission.registered_model.created", actor, `${name}:${user.username}`, perm, null);
    return { name, userId: user.id, permission: perm };
  }

  async getRegisteredModelPermission(name: string, username: unknown) {
    const user = await this.deps.getUser(username);
    const perm = await this.store.getRegisteredModelPermission(name, user.id);
    if (!perm) throw new ResourceDoesNotExistError(`Registered model permission with name=${name} and username=${user.username} not found`);
    return { name, userId: user.id, permission: perm };
  }

  async updateRegisteredModelPermission(actor: string, name: string, username: unknown, permission: unknown): Promise<void> {
    const perm = validatePermission(permission);
    const user = await this.deps.getUser(username);
    if (!(await this.store.updateRegisteredModelPermission({ name, userId: user.id, permission: perm }))) {
      throw new ResourceDoesNotExistError(`Registered model permission with name=${name} and username=${user.username} not found`);
    }
    await this.deps.audit("permission.registered_model.updated", actor, `${name}:${user.username}`, perm, null);
  }

  async deleteRegisteredModelPermission(actor: string, name: string, username: unknown): Promise<void> {
    const user = await this.deps.getUser(username);
    if (!(await this.store.deleteRegisteredModelPermission(name, user.id))) {
      throw new ResourceDoesNotExistError(`Registered model permission with name=${name} and username=${user.username} not found`);
    }
    await this.deps.audit("permission.registered_model.deleted", actor, `${name}:${user.username}`, null, null);
  }

  listRegisteredModelPermissionsOf(name: string) {
    return this.store.listRegisteredModelPermissionsOf(name);
  }

  listExperimentPermissions(user: User) {
    return this.store.listExperimentPermissions(user.id);
  }

  listRegisteredModelPermissions(user: User) {
    return this.store.listRegisteredModelPermissions(user.id);
  }

  renameRegisteredModel(oldName: string, newName: string): Promise<void> {
    return this.store.renameRegisteredModelPermissions(oldName, newName);
  }

  dropRegisteredModel(name: string): Promise<void> {
    return this.store.dropRegisteredModelPermissions(name);
  }
}
