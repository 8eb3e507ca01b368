import { runTraceStoreContract } from "../contract/trace-store.contract.js";
import { openTestStores } from "../../testing/store-backends.js";
import { SqlTraceStore } from "../sql/traces/sql-trace-store.js";

runTraceStoreContract("postgres", async () => {
  const b = await openTestStores("postgres");
  return b && { tracking: b.stores.tracking, traces: new SqlTraceStore(b.stores.connection), cleanup: b.cleanup };
});
