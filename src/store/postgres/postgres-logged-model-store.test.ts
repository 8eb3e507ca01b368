import { openStores } from "../open-stores.js";
import { runLoggedModelStoreContract } from "../contract/logged-model-store.contract.js";
import { createTestDatabase, postgresUnavailable } from "../../testing/postgres-fixture.js";

runLoggedModelStoreContract("postgres", async () => {
  if (await postgresUnavailable()) return undefined;
  const pgdb = await createTestDatabase();
  const { tracking, loggedModels } = await openStores(pgdb.uri, { defaultArtifactRoot: "s3://bucket/root" });
  return {
    tracking,
    loggedModels,
    async cleanup() {
      await tracking.close();
      await pgdb.drop();
    },
  };
});
