import { runEventStoreContract } from "../contract/event-store.contract.js";
import { runJobStoreContract } from "../contract/job-store.contract.js";
import { SqlEventStore, SqlJobStore } from "../sql/jobs/sql-job-store.js";
import { openReplica, openTestStores } from "../../testing/store-backends.js";

/** The stores on a fresh database, and a second connection to it standing in for another process. */
async function open() {
  const b = await openTestStores("sqlite");
  return b && { ...b, replica: () => openReplica(b.uri) };
}

runJobStoreContract("sqlite", async () => {
  const b = await open();
  return b && { store: new SqlJobStore(b.stores.connection), replica: b.replica, cleanup: b.cleanup };
});

runEventStoreContract("sqlite", async () => {
  const b = await open();
  return b && { events: new SqlEventStore(b.stores.connection), registry: b.stores.registry, replica: b.replica, cleanup: b.cleanup };
});
