import { runRegistryStoreContract } from "../contract/registry-store.contract.js";
import { openTestStores } from "../../testing/store-backends.js";

runRegistryStoreContract("postgres", async () => {
  const b = await openTestStores("postgres");
  return b && { store: b.stores.registry, cleanup: b.cleanup };
});
