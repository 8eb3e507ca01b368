import { runLoggedModelStoreContract } from "../contract/logged-model-store.contract.js";
import { openTestStores } from "../../testing/store-backends.js";

runLoggedModelStoreContract("sqlite", async () => {
  const b = await openTestStores("sqlite");
  return b && { tracking: b.stores.tracking, loggedModels: b.stores.loggedModels, cleanup: b.cleanup };
});
