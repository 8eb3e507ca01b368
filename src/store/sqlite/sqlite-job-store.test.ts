import { join } from "node:path";
import { runEventStoreContract } from "../contract/event-store.contract.js";
import { runJobStoreContract } from "../contract/job-store.contract.js";
import { openConnection } from "../open-store.js";
import { openStores } from "../open-stores.js";
import { SqlEventStore, SqlJobStore } from "../sql/jobs/sql-job-store.js";
import { tempDir } from "../../testing/temp-dir.js";

async function open() {
  const dir = tempDir();
  const uri = `sqlite:///${join(dir.path, "ciclo.db")}`;
  const stores = await openStores(uri, { defaultArtifactRoot: "mlflow-artifacts:/" });
  const replica = async () => {
    const conn = await openConnection(uri);
    return { store: new SqlJobStore(conn), events: new SqlEventStore(conn), close: () => conn.db.destroy() };
  };
  const cleanup = async () => {
    await stores.tracking.close();
    dir.remove();
  };
  return { stores, replica, cleanup };
}

runJobStoreContract("sqlite", async () => {
  const { stores, replica, cleanup } = await open();
  return { store: new SqlJobStore(stores.connection), replica, cleanup };
});

runEventStoreContract("sqlite", async () => {
  const { stores, replica, cleanup } = await open();
  return { events: new SqlEventStore(stores.connection), registry: stores.registry, replica, cleanup };
});
