/**
 * Test fixture: a fresh MariaDB/MySQL database (MLflow's MySQL store) on
 * CICLO_TEST_MYSQL_URL (default root with no password on 127.0.0.1:3306,
 * started by .ci/run), dropped afterwards. Unreachable: the tests skip with
 * the reason, unless CICLO_REQUIRE_ALL=1.
 * @module
 */
import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";

export const MYSQL_ADMIN_URL = process.env.CICLO_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/";

export interface MariadbDatabase {
  /** For MLflow (SQLAlchemy with PyMySQL) and for ciclo import-mlflow alike. */
  uri: string;
  drop(): Promise<void>;
}

export async function mariadbUnavailable(): Promise<string | undefined> {
  try {
    const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 3000 });
    await c.end();
    return undefined;
  } catch (err) {
    const reason = `MariaDB/MySQL not reachable at ${MYSQL_ADMIN_URL}: ${(err as Error).message}`;
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${reason} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
    console.log(`# SKIP MySQL tests: ${reason}`);
    return reason;
  }
}

export async function createMariadbDatabase(): Promise<MariadbDatabase> {
  const name = `ciclo_import_${randomBytes(5).toString("hex")}`;
  const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
  try {
    await c.query(`create database ${name} character set utf8mb4 collate utf8mb4_bin`);
  } finally {
    await c.end();
  }
  const u = new URL(MYSQL_ADMIN_URL);
  return {
    uri: `mysql+pymysql://${u.username}${u.password ? `:${u.password}` : ""}@${u.host}/${name}`,
    async drop() {
      const d = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
      try {
        await d.query(`drop database if exists ${name}`);
      } finally {
        await d.end();
      }
    },
  };
}
