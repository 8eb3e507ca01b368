/** Encrypted secrets in the metadata database (table `auth_secrets`, migration 0010). */
import type { Kysely, Selectable } from "kysely";
import type { SecretStore, StoredSecret } from "../../../auth/secrets/secret-store.js";
import type { Database } from "../schema.js";
import type { SqlConnection } from "../sql-dialect.js";
import type { AuthTables } from "./auth-tables.js";

type Db = Kysely<Database & AuthTables>;
const toSecret = (r: Selectable<AuthTables["auth_secrets"]>): StoredSecret => ({
  name: r.name,
  description: r.description,
  ciphertext: r.ciphertext,
  keyId: r.key_id,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  createdBy: r.created_by,
});

export class SqlSecretStore implements SecretStore {
  private readonly db: Db;
  constructor(private readonly conn: SqlConnection) {
    this.db = conn.db.withTables<AuthTables>();
  }

  insert(s: StoredSecret): Promise<boolean> {
    return this.conn.write(async (trx) => {
      const db = trx.withTables<AuthTables>();
      if (await db.selectFrom("auth_secrets").select("name").where("name", "=", s.name).executeTakeFirst()) return false;
      await db
        .insertInto("auth_secrets")
        .values({ name: s.name, description: s.description, ciphertext: s.ciphertext, key_id: s.keyId, created_at: s.createdAt, updated_at: s.updatedAt, created_by: s.createdBy })
        .execute();
      return true;
    });
  }

  async update(name: string, change: { ciphertext: string; keyId: string; description?: string | null; updatedAt: number }): Promise<boolean> {
    const r = await this.conn.write((trx) =>
      trx
        .withTables<AuthTables>()
        .updateTable("auth_secrets")
        .set({ ciphertext: change.ciphertext, key_id: change.keyId, updated_at: change.updatedAt, ...(change.description !== undefined ? { description: change.description } : {}) })
        .where("name", "=", name)
        .executeTakeFirst(),
    );
    return Number(r.numUpdatedRows) > 0;
  }

  async get(name: string): Promise<StoredSecret | undefined> {
    const r = await this.db.selectFrom("auth_secrets").selectAll().where("name", "=", name).executeTakeFirst();
    return r && toSecret(r);
  }

  async list(): Promise<StoredSecret[]> {
    return (await this.db.selectFrom("auth_secrets").selectAll().orderBy("name").execute()).map(toSecret);
  }

  async delete(name: string): Promise<boolean> {
    const r = await this.conn.write((trx) => trx.withTables<AuthTables>().deleteFrom("auth_secrets").where("name", "=", name).executeTakeFirst());
    return Number(r.numDeletedRows) > 0;
  }
}
