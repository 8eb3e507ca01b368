/**
 * Where a step's `${{ secrets.NAME }}` goes (step-secrets.ts), over an
 * in-memory source of secrets: run: → a variable reference, push's registry
 * credentials → CICLO_REGISTRY_* variables, deploy's env → a reference the
 * deployment resolves, notify's signing key → kept out of with:; what is
 * refused; and the masking of values, multi-line ones included.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StepSpec } from "../definition/pipeline-spec.js";
import { prepareStepSecrets, registryCredentialsEnv, secretNamesOfStep, type StepSecretSource } from "./step-secrets.js";

const VALUES: Record<string, string> = { "api-token": "tok-abc-123", "registry.password": "hunter2-registry", pem: "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----" };
const used: Array<[string | null, readonly string[]]> = [];
const source: StepSecretSource = {
  has: async (n) => n in VALUES,
  resolve: async (n) => VALUES[n]!,
  checkUse: async (actor, names) => {
    used.push([actor, names]);
    if (actor === "bob") throw new Error("bob may not");
  },
};
const step = (over: Partial<StepSpec>): StepSpec => ({ id: "s", uses: "run", with: {}, needs: [], env: {}, retries: 0, retryDelaySeconds: 0, cache: false, ...over });

test("run: becomes a quoted variable reference; env: values are rendered by the caller", async () => {
  const s = await prepareStepSecrets(step({ run: 'curl -H "x: ${{ secrets.api-token }}" ${{ inputs.url }} && echo ${{ secrets.api-token }} \'a"b\'', env: { T: "${{ secrets.pem }}" } }), "alice", source);
  assert.equal(s.spec.run, 'curl -H "x: ${CICLO_SECRET_API_TOKEN}" ${{ inputs.url }} && echo "${CICLO_SECRET_API_TOKEN}" \'a"b\'');
  assert.deepEqual(s.env, { CICLO_SECRET_API_TOKEN: "tok-abc-123" });
  assert.deepEqual(s.values, { "api-token": "tok-abc-123", pem: VALUES.pem });
  assert.deepEqual(used.at(-1), ["alice", ["api-token", "pem"]]);
});

test("push's registry credentials become its CICLO_REGISTRY_* variables; deploy's env a reference; notify's key leaves with:", async () => {
  const push = await prepareStepSecrets(step({ uses: "push", with: { model: "m", image: "r/i:1", registry_username: "ci", registry_password: "${{ secrets['registry.password'] }}" } }), null, source);
  assert.deepEqual(push.env, { CICLO_REGISTRY_PASSWORD: "hunter2-registry" });
  assert.deepEqual(push.spec.with, { model: "m", image: "r/i:1", registry_username: "ci" });
  const rendered: Record<string, unknown> = { ...push.spec.with };
  assert.deepEqual(registryCredentialsEnv("push", rendered), { CICLO_REGISTRY_USERNAME: "ci" }, "a plain username goes to the environment too");
  assert.deepEqual(rendered, { model: "m", image: "r/i:1" });
  assert.deepEqual(registryCredentialsEnv("run", { registry_username: "x" }), {});
  const deploy = await prepareStepSecrets(step({ uses: "deploy", with: { endpoint: "e", deployment: "d", model: "m", env: { API_KEY: "${{ secrets.api-token }}", LEVEL: "debug" } } }), null, source);
  assert.deepEqual(deploy.spec.with.env, { API_KEY: { secret: "api-token" }, LEVEL: "debug" });
  assert.deepEqual(deploy.env, {});
  const notify = await prepareStepSecrets(step({ uses: "notify", with: { url: "https://h/x", signing_key: "${{ secrets.api-token }}" } }), null, source);
  assert.equal(notify.signingKey, "tok-abc-123");
  assert.deepEqual(notify.spec.with, { url: "https://h/x" });
});

test("refused: a missing secret, one on a command line, one inside a larger expression, a user who may not", async () => {
  await assert.rejects(prepareStepSecrets(step({ run: "echo ${{ secrets.nope }}" }), null, source), /secret 'nope', which does not exist: create it with 'ciclo secrets set nope'/);
  await assert.rejects(prepareStepSecrets(step({ uses: "train", with: { params: { p: "${{ secrets.api-token }}" } } }), null, source), /with\.params would reach a command line/);
  await assert.rejects(prepareStepSecrets(step({ run: "echo ${{ contains(secrets.api-token, 'x') }}" }), null, source), /must stand alone/);
  await assert.rejects(prepareStepSecrets(step({ uses: "deploy", with: { env: { K: "prefix-${{ secrets.api-token }}" } } }), null, source), /with\.env\.K must be exactly/);
  await assert.rejects(prepareStepSecrets(step({ run: "echo ${{ secrets.api-token }}" }), "bob", source), /bob may not/);
  await assert.rejects(prepareStepSecrets(step({ run: "echo '${{ secrets.api-token }}'" }), null, source), /inside single quotes/);
  await assert.rejects(prepareStepSecrets(step({ run: "echo ${{ secrets.api-token }}" }), null, undefined), /keeps no secrets/);
  await assert.rejects(prepareStepSecrets(step({ run: "echo ${{ secrets.api-token }}", runsOn: "kubernetes", image: "r/i:1" }), null, source), /not passed to runs-on: kubernetes steps yet/);
});

test("masking: every value, each line of a multi-line one, in text and in nested outputs", async () => {
  const s = await prepareStepSecrets(step({ env: { A: "${{ secrets.api-token }}", B: "${{ secrets.pem }}" } }), null, source);
  assert.equal(s.mask("token tok-abc-123 twice tok-abc-123"), "token *** twice ***");
  assert.equal(s.mask("line: MIIBOgIBAAJBAKj34GkxFhD9"), "line: ***");
  assert.deepEqual(s.maskDeep({ a: ["x tok-abc-123"], n: 3, b: { c: VALUES.pem } }), { a: ["x ***"], n: 3, b: { c: "***" } });
  const none = await prepareStepSecrets(step({ run: "echo hi" }), null, undefined);
  assert.equal(none.mask("tok-abc-123"), "tok-abc-123");
  assert.deepEqual(secretNamesOfStep(step({ run: "${{ secrets.a }}", env: { X: "${{ secrets.b }}" }, with: { deep: ["${{ secrets.c }}"] } })), ["a", "b", "c"]);
});
