/** Request and response schemas of MLflow's auth API and ciclo's token/service-account API. */
import Type from "typebox";
import { ExperimentId, Required } from "../../server/http/common.schema.js";

const ExperimentPermissionOut = Type.Object({ experiment_id: Type.String(), user_id: Type.Integer(), permission: Type.String() });
const ModelPermissionOut = Type.Object({ name: Type.String(), user_id: Type.Integer(), permission: Type.String() });

export const UserOut = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  is_admin: Type.Boolean(),
  experiment_permissions: Type.Array(ExperimentPermissionOut),
  registered_model_permissions: Type.Array(ModelPermissionOut),
});
export const UserResponse = Type.Object({ user: UserOut });

export const CreateUserBody = Type.Object({ username: Required, password: Type.String() });
export const UsernameQuery = Type.Object({ username: Required });
export const UsernameBody = Type.Object({ username: Required });
export const UpdatePasswordBody = Type.Object({ username: Required, password: Type.String() });
export const UpdateAdminBody = Type.Object({ username: Required, is_admin: Type.Union([Type.Boolean(), Type.String()]) });

export const ExperimentPermissionBody = Type.Object({ experiment_id: ExperimentId, username: Required, permission: Required });
export const ExperimentPermissionKeyBody = Type.Object({ experiment_id: ExperimentId, username: Required });
export const ExperimentPermissionQuery = Type.Object({ experiment_id: Required, username: Required });
export const ExperimentPermissionResponse = Type.Object({ experiment_permission: ExperimentPermissionOut });

export const ModelPermissionBody = Type.Object({ name: Required, username: Required, permission: Required });
export const ModelPermissionKeyBody = Type.Object({ name: Required, username: Required });
export const ModelPermissionQuery = Type.Object({ name: Required, username: Required });
export const ModelPermissionResponse = Type.Object({ registered_model_permission: ModelPermissionOut });

export const Empty = Type.Object({});

// ---- ciclo's own: tokens, service accounts, the audit log ----

export const TokenOut = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  hint: Type.String(),
  created_at: Type.Integer(),
  expires_at: Type.Optional(Type.Integer()),
  last_used_at: Type.Optional(Type.Integer()),
  revoked_at: Type.Optional(Type.Integer()),
});
export const CreateTokenBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 256 })),
  /** Whose token (an admin creating one for a service account); default: the caller. */
  username: Type.Optional(Type.String()),
  expires_in_days: Type.Optional(Type.Number()),
});
export const CreateTokenResponse = Type.Object({ token: Type.String(), token_info: TokenOut });
export const ListTokensQuery = Type.Object({ username: Type.Optional(Type.String()) });
export const ListTokensResponse = Type.Object({ tokens: Type.Array(TokenOut) });
/** A signed-in user's own password change: the current password is required. */
export const ChangePasswordBody = Type.Object({ current_password: Type.String({ maxLength: 1024 }), new_password: Type.String({ maxLength: 1024 }) });
export const RevokeTokenBody = Type.Object({ id: Type.Integer(), username: Type.Optional(Type.String()) });

export const ServiceAccountBody = Type.Object({ username: Required });
export const UserSummary = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  is_admin: Type.Boolean(),
  is_service_account: Type.Boolean(),
  created_at: Type.Integer(),
});
export const ListUsersResponse = Type.Object({ users: Type.Array(UserSummary) });
export const MeResponse = Type.Object({ user: UserSummary, via: Type.String() });

export const AuditQuery = Type.Object({
  max_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  before_id: Type.Optional(Type.Integer()),
  type: Type.Optional(Type.String()),
});
export const AuditResponse = Type.Object({
  events: Type.Array(
    Type.Object({
      id: Type.Integer(),
      time: Type.Integer(),
      type: Type.String(),
      actor: Type.Optional(Type.String()),
      subject: Type.Optional(Type.String()),
      detail: Type.Optional(Type.String()),
      ip: Type.Optional(Type.String()),
    }),
  ),
});

export const PermissionsOfExperimentQuery = Type.Object({ experiment_id: Required });
export const PermissionsOfModelQuery = Type.Object({ name: Required });
export const PermissionsListResponse = Type.Object({
  permissions: Type.Array(Type.Object({ username: Type.String(), permission: Type.String() })),
});

// ---- the web UI's sign-in (session cookie) and single sign-on ----

const SessionUser = Type.Object({ id: Type.Integer(), username: Type.String(), is_admin: Type.Boolean() });
export const SessionResponse = Type.Object({
  /** False: the server has no authentication (every route open), the UI shows no sign-in. */
  auth_enabled: Type.Boolean(),
  user: Type.Optional(SessionUser),
  /** Echo it in `X-CSRF-Token` on every write signed in by the session cookie. */
  csrf_token: Type.Optional(Type.String()),
  expires_at: Type.Optional(Type.Number()),
  /** Present when single sign-on is configured: the sign-in button's text. */
  sso: Type.Optional(Type.Object({ label: Type.String() })),
});
export const LoginBody = Type.Object({ username: Type.String({ maxLength: 256 }), password: Type.String({ maxLength: 4096 }) });
export const OidcLoginQuery = Type.Object({ return_to: Type.Optional(Type.String({ maxLength: 2048 })) });
export const OidcCallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 4096 })),
    state: Type.Optional(Type.String({ maxLength: 1024 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: true },
);
