import { runRegistryStoreContract } from "../contract/registry-store.contract.js";
import { openTestStores } from "../../testing/store-backends.js";

runRegistryStoreContract("sqlite", async () => {
  const b = await openTestStores("sqlite");
  return b && { store: b.stores.registry, cleanup: b.cleanup };
});
