/**
 * MLflow's permission levels (mlflow/server/auth/permissions.py), in priority
 * order: NO_PERMISSIONS < READ < USE < EDIT < MANAGE. A route declares what it
 * needs as `read`, `edit` or `manage` (server/http/route-access.ts); a level
 * grants a need when its flag is set.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";

export type PermissionName = "NO_PERMISSIONS" | "READ" | "USE" | "EDIT" | "MANAGE";

export interface PermissionLevel {
  name: PermissionName;
  canRead: boolean;
  canUse: boolean;
  canUpdate: boolean;
  canDelete: boolean;
  canManage: boolean;
}

const level = (name: PermissionName, n: number): PermissionLevel => ({
  name,
  canRead: n >= 1,
  canUse: n >= 2,
  canUpdate: n >= 3,
  canDelete: n >= 4,
  canManage: n >= 4,
});

export const PERMISSIONS: Readonly<Record<PermissionName, PermissionLevel>> = {
  NO_PERMISSIONS: level("NO_PERMISSIONS", 0),
  READ: level("READ", 1),
  USE: level("USE", 2),
  EDIT: level("EDIT", 3),
  MANAGE: level("MANAGE", 4),
};

export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as PermissionName[];

export function isPermissionName(value: unknown): value is PermissionName {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(PERMISSIONS, value);
}

/** MLflow's `_validate_permission` wording. */
export function validatePermission(value: unknown): PermissionName {
  if (!isPermissionName(value)) {
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    throw new InvalidParameterValueError(
      `Invalid permission '${shown}'. Valid permissions are: (${PERMISSION_NAMES.map((p) => `'${p}'`).join(", ")})`,
    );
  }
  return value;
}

/** What a route declares it needs. */
export type Need = "read" | "use" | "edit" | "manage";

export function grants(permission: PermissionName, need: Need): boolean {
  const p = PERMISSIONS[permission];
  switch (need) {
    case "read":
      return p.canRead;
    case "use":
      return p.canUse;
    case "edit":
      return p.canUpdate;
    case "manage":
      return p.canManage;
  }
}
