import { runTrackingStoreContract } from "../contract/tracking-store.contract.js";
import { openTestStores } from "../../testing/store-backends.js";

runTrackingStoreContract("sqlite", async () => {
  const b = await openTestStores("sqlite");
  return b && { store: b.stores.tracking, artifactRoot: b.artifactRoot, cleanup: b.cleanup };
});
