/** `ciclo db upgrade`: applies pending schema migrations. */
import type { Command } from "commander";
import { serverModules } from "../../modules.js";
import { migrateToLatest, migrationSequence } from "../../store/migrations/migrator.js";
import { openConnection, redactUri } from "../../store/open-store.js";
import { DEFAULT_BACKEND_STORE_URI } from "../../server/config.js";

export function registerDbCommand(program: Command): void {
  const db = program.command("db").description("Manage the metadata database");
  db.command("upgrade")
    .description("Upgrade the database schema to the latest version (the server also does this on start)")
    .argument("[uri]", "database URI", process.env.CICLO_BACKEND_STORE_URI ?? DEFAULT_BACKEND_STORE_URI)
    .addHelpText(
      "after",
      `
Back up the database first; migrations run one transaction each.

Examples:
  $ ciclo db upgrade
  $ ciclo db upgrade sqlite:///./ciclo-data/ciclo.db
  $ ciclo db upgrade postgresql://ciclo@db:5432/ciclo`,
    )
    .action(async (uri: string) => {
      const conn = await openConnection(uri);
      try {
        const res = await migrateToLatest(conn.db, conn.dialect.name, undefined, migrationSequence(serverModules()));
        if (res.applied.length === 0) console.log(`${redactUri(uri)} is up to date (schema version ${res.to}).`);
        else console.log(`Upgraded ${redactUri(uri)} from schema version ${res.from} to ${res.to}: ${res.applied.join(", ")}`);
      } finally {
        await conn.db.destroy();
      }
    });
}
