import { join } from "node:path";
import { openStores } from "../open-stores.js";
import { runLoggedModelStoreContract } from "../contract/logged-model-store.contract.js";
import { tempDir } from "../../testing/temp-dir.js";

runLoggedModelStoreContract("sqlite", async () => {
  const dir = tempDir();
  const { tracking, loggedModels } = await openStores(`sqlite:///${join(dir.path, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
  return {
    tracking,
    loggedModels,
    async cleanup() {
      await tracking.close();
      dir.remove();
    },
  };
});
