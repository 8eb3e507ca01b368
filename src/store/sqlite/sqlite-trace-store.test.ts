import { runTraceStoreContract } from "../contract/trace-store.contract.js";
import { openTestStores } from "../../testing/store-backends.js";
import { SqlTraceStore } from "../sql/traces/sql-trace-store.js";

runTraceStoreContract("sqlite", async () => {
  const b = await openTestStores("sqlite");
  return b && { tracking: b.stores.tracking, traces: new SqlTraceStore(b.stores.connection), cleanup: b.cleanup };
});
