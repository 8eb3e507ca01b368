import { openStores } from "../open-stores.js";
import { runRegistryStoreContract } from "../contract/registry-store.contract.js";
import { createTestDatabase, postgresUnavailable } from "../../testing/postgres-fixture.js";

runRegistryStoreContract("postgres", async () => {
  if (await postgresUnavailable()) return undefined;
  const pgdb = await createTestDatabase();
  const { tracking, registry } = await openStores(pgdb.uri, { defaultArtifactRoot: "s3://bucket/root" });
  return {
    store: registry,
    async cleanup() {
      await tracking.close();
      await pgdb.drop();
    },
  };
});
