import { openStores } from "../open-stores.js";
import { runTrackingStoreContract } from "../contract/tracking-store.contract.js";
import { createTestDatabase, postgresUnavailable } from "../../testing/postgres-fixture.js";

runTrackingStoreContract("postgres", async () => {
  if (await postgresUnavailable()) return undefined;
  const pgdb = await createTestDatabase();
  const { tracking } = await openStores(pgdb.uri, { defaultArtifactRoot: "s3://bucket/root" });
  return {
    store: tracking,
    artifactRoot: "s3://bucket/root",
    async cleanup() {
      await tracking.close();
      await pgdb.drop();
    },
  };
});
