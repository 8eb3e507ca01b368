import { join } from "node:path";
import { openStores } from "../open-stores.js";
import { runRegistryStoreContract } from "../contract/registry-store.contract.js";
import { tempDir } from "../../testing/temp-dir.js";

runRegistryStoreContract("sqlite", async () => {
  const dir = tempDir();
  const { tracking, registry } = await openStores(`sqlite:///${join(dir.path, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
  return {
    store: registry,
    async cleanup() {
      await tracking.close();
      dir.remove();
    },
  };
});
