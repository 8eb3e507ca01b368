import { join } from "node:path";
import { openStores } from "../open-stores.js";
import { runTrackingStoreContract } from "../contract/tracking-store.contract.js";
import { tempDir } from "../../testing/temp-dir.js";

runTrackingStoreContract("sqlite", async () => {
  const dir = tempDir();
  const { tracking } = await openStores(`sqlite:///${join(dir.path, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
  return {
    store: tracking,
    artifactRoot: "mlflow-artifacts:/",
    async cleanup() {
      await tracking.close();
      dir.remove();
    },
  };
});
