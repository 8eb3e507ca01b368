/** Row types of the auth module's tables (migrations 0010, 0015 and 0017). */
import type { Generated } from "kysely";

// A type alias (not an interface) so that Kysely's `withTables<T extends Record<string, …>>` accepts it.
export type AuthTables = {
  auth_users: {
    id: Generated<number>;
    username: string;
    password_hash: string | null;
    is_admin: number;
    is_service_account: number;
    created_at: number;
    failed_logins: Generated<number>;
    locked_until: number | null;
    /** `issuer sub` of the OpenID Connect identity an SSO user signs in as (migration 0015). */
    sso_subject: Generated<string | null>;
    /** JSON of the SSO groups' grants (migration 0017). */
    group_grants: Generated<string | null>;
  };
  auth_sessions: {
    id_hash: string;
    user_id: number;
    csrf_token: string;
    via: string;
    created_at: number;
    expires_at: number;
    last_seen_at: number;
  };
  auth_tokens: {
    id: Generated<number>;
    user_id: number;
    name: string;
    token_hash: string;
    hint: string;
    created_at: number;
    expires_at: number | null;
    last_used_at: number | null;
    revoked_at: number | null;
  };
  auth_experiment_permissions: { experiment_id: string; user_id: number; permission: string };
  auth_registered_model_permissions: { name: string; user_id: number; permission: string };
  auth_audit_events: {
    id: Generated<number>;
    time: number;
    type: string;
    actor: string | null;
    subject: string | null;
    detail: string | null;
    ip: string | null;
  };
  auth_secrets: {
    name: string;
    description: string | null;
    ciphertext: string;
    key_id: string;
    created_at: number;
    updated_at: number;
    created_by: string | null;
  };
};
