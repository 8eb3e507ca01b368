/** The auth capability's public entry: identities, permissions, secrets. */
export { AuthService, type Principal } from "./auth-service.js";
export type { ApiToken, AuditEvent, AuthStore, ResourceLookup, User } from "./auth-store.js";
export { PermissionDeniedError, TooManyAttemptsError, UnauthenticatedError } from "./auth-errors.js";
export { authConfigFromIni, readAuthConfigFile, type AuthFileConfig } from "./auth-config.js";
export { grants, PERMISSIONS, PERMISSION_NAMES, validatePermission, type Need, type PermissionName } from "./permissions.js";
export { looksLikeToken } from "./tokens.js";
export { checkOutboundUrl, isPrivateAddress, safeFetch, type OutboundPolicy } from "./outbound-policy.js";
export type { SecretService } from "./secrets/secret-service.js";
