import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ARTIFACT_PREFIXES, openTestApp, type TestApp, assertError } from "../../testing/test-app.js";

const json = { "content-type": "application/json" };

describe("proxied artifact API (/mlflow-artifacts/*) on both prefixes", () => {
  let fx: TestApp;
  before(async () => (fx = await openTestApp()));
  after(async () => fx.close());

  for (const prefix of ARTIFACT_PREFIXES) {
    const base = `${prefix}/mlflow-artifacts`;
    const dir = prefix.startsWith("/ajax") ? "ajax" : "api";

    test(`${prefix}: PUT streams a body of any content type; the file appears whole; the answer is {}`, async () => {
      const cases: Array<[string, string | Buffer, Record<string, string>]> = [
        [`${dir}/run/artifacts/notes.txt`, "hello world\n", { "content-type": "text/plain" }],
        [`${dir}/run/artifacts/weights.bin`, Buffer.from([0, 1, 2, 255, 254]), { "content-type": "application/octet-stream" }],
        [`${dir}/run/artifacts/conf.json`, '{"a": 1}', json],
        [`${dir}/run/artifacts/form.bin`, "a=1&b=2", { "content-type": "application/x-www-form-urlencoded" }],
        [`${dir}/run/artifacts/none.bin`, "no content type", {}],
        [`${dir}/run/artifacts/sub/deep/model.pkl`, Buffer.alloc(70_000, 7), { "content-type": "application/x-whatever; q=1" }],
      ];
      for (const [path, body, headers] of cases) {
        const r = await fx.request("PUT", `${base}/artifacts/${path}`, body, headers);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json, {});
        assert.deepEqual(readFileSync(join(fx.artifactsDir, path)), Buffer.from(body));
      }
      const empty = await fx.request("PUT", `${base}/artifacts/${dir}/run/artifacts/empty.txt`);
      assert.equal(empty.status, 200, empty.text);
      assert.equal(readFileSync(join(fx.artifactsDir, dir, "run/artifacts/empty.txt")).length, 0);
    });

    test(`${prefix}: a JSON body larger than the JSON limit still uploads (bodies stream, not parsed)`, async () => {
      const big = Buffer.alloc(20 * 1024 * 1024, 0x20);
      const r = await fx.request("PUT", `${base}/artifacts/${dir}/big/blob.json`, big, json);
      assert.equal(r.status, 200, r.text);
      assert.equal(readFileSync(join(fx.artifactsDir, dir, "big/blob.json")).length, big.length);
    });

    test(`${prefix}: GET artifacts?path= lists base names sorted, folders without file_size; {} when empty`, async () => {
      const r = await fx.request("GET", `${base}/artifacts?path=${dir}/run/artifacts`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, {
        files: [
          { path: "conf.json", is_dir: false, file_size: 8 },
          { path: "empty.txt", is_dir: false, file_size: 0 },
          { path: "form.bin", is_dir: false, file_size: 7 },
          { path: "none.bin", is_dir: false, file_size: 15 },
          { path: "notes.txt", is_dir: false, file_size: 12 },
          { path: "sub", is_dir: true },
          { path: "weights.bin", is_dir: false, file_size: 5 },
        ],
      });
      const sub = await fx.request("GET", `${base}/artifacts?path=${encodeURIComponent(`${dir}/run/artifacts/sub`)}`);
      assert.deepEqual(sub.json, { files: [{ path: "deep", is_dir: true }] });
      for (const q of [`path=${dir}/missing`, `path=${dir}/run/artifacts/notes.txt`]) {
        const e = await fx.request("GET", `${base}/artifacts?${q}`);
        assert.equal(e.status, 200);
        assert.deepEqual(e.json, {}, q);
      }
      const root = await fx.request("GET", `${base}/artifacts`);
      assert.ok(root.json.files.some((f: { path: string }) => f.path === dir));
    });

    test(`${prefix}: GET artifacts/<path> downloads with MLflow's headers and the right Content-Type`, async () => {
      const types: Array<[string, string]> = [
        ["notes.txt", "text/plain"],
        ["conf.json", "text/plain"],
        ["weights.bin", "application/octet-stream"],
        ["sub/deep/model.pkl", "application/octet-stream"],
      ];
      for (const [name, type] of types) {
        const r = await fx.request("GET", `${base}/artifacts/${dir}/run/artifacts/${name}`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers["content-type"], type, name);
        assert.deepEqual(r.raw, readFileSync(join(fx.artifactsDir, dir, "run/artifacts", name)));
        assert.equal(r.headers["content-length"], String(r.raw.length));
        assert.equal(r.headers["content-disposition"], `attachment; filename="${name.split("/").pop()}"`);
        assert.equal(r.headers["x-content-type-options"], "nosniff");
        assert.equal(r.headers["accept-ranges"], "bytes");
      }
    });

    test(`${prefix}: Range requests get 206 with Content-Range; unsatisfiable ones 416`, async () => {
      const url = `${base}/artifacts/${dir}/run/artifacts/notes.txt`; // "hello world\n", 12 bytes
      const cases: Array<[string, number, string, string | undefined]> = [
        ["bytes=0-4", 206, "hello", "bytes 0-4/12"],
        ["bytes=6-", 206, "world\n", "bytes 6-11/12"],
        ["bytes=-6", 206, "world\n", "bytes 6-11/12"],
        ["bytes=6-100", 206, "world\n", "bytes 6-11/12"],
        ["bytes=11-11", 206, "\n", "bytes 11-11/12"],
        ["bytes=5-2", 200, "hello world\n", undefined],
        ["bytes=0-1,4-5", 200, "hello world\n", undefined],
        ["items=0-1", 200, "hello world\n", undefined],
      ];
      for (const [range, status, body, contentRange] of cases) {
        const r = await fx.request("GET", url, undefined, { range });
        assert.equal(r.status, status, range);
        assert.equal(r.text, body, range);
        assert.equal(r.headers["content-length"], String(Buffer.byteLength(body)), range);
        assert.equal(r.headers["content-range"], contentRange, range);
      }
      for (const range of ["bytes=12-", "bytes=100-200", "bytes=-0"]) {
        const r = await fx.request("GET", url, undefined, { range });
        assert.equal(r.status, 416, range);
        assert.equal(r.headers["content-range"], "bytes */12");
        assert.equal(r.json.error_code, "BAD_REQUEST");
      }
    });

    test(`${prefix}: HEAD answers the headers (size included) without the bytes`, async () => {
      const r = await fx.request("HEAD", `${base}/artifacts/${dir}/run/artifacts/sub/deep/model.pkl`);
      assert.equal(r.status, 200);
      assert.equal(r.headers["content-length"], "70000");
      assert.equal(r.raw.length, 0);
      const ranged = await fx.request("HEAD", `${base}/artifacts/${dir}/run/artifacts/sub/deep/model.pkl`, undefined, { range: "bytes=10-19" });
      assert.equal(ranged.status, 206);
      assert.equal(ranged.headers["content-range"], "bytes 10-19/70000");
    });

    test(`${prefix}: missing files and folders are 404 RESOURCE_DOES_NOT_EXIST`, async () => {
      assertError(await fx.request("GET", `${base}/artifacts/${dir}/run/artifacts/nope.txt`), 404, "RESOURCE_DOES_NOT_EXIST");
      assertError(await fx.request("GET", `${base}/artifacts/${dir}/run/artifacts/sub`), 404, "RESOURCE_DOES_NOT_EXIST");
      const head = await fx.request("HEAD", `${base}/artifacts/${dir}/nope`);
      assert.equal(head.status, 404);
      assert.equal(head.raw.length, 0, "HEAD answers carry no body");
    });

    test(`${prefix}: DELETE removes a file or a folder recursively and answers {}; a missing path is fine`, async () => {
      await fx.request("PUT", `${base}/artifacts/${dir}/del/a.txt`, "a");
      await fx.request("PUT", `${base}/artifacts/${dir}/del/sub/b.txt`, "b");
      await fx.request("PUT", `${base}/artifacts/${dir}/del-sibling/c.txt`, "c");
      let r = await fx.request("DELETE", `${base}/artifacts/${dir}/del/a.txt`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, {});
      assert.equal(existsSync(join(fx.artifactsDir, dir, "del/a.txt")), false);
      r = await fx.request("DELETE", `${base}/artifacts/${dir}/del`);
      assert.deepEqual(r.json, {});
      assert.equal(existsSync(join(fx.artifactsDir, dir, "del")), false);
      assert.ok(existsSync(join(fx.artifactsDir, dir, "del-sibling/c.txt")));
      r = await fx.request("DELETE", `${base}/artifacts/${dir}/never/was`);
      assert.equal(r.status, 200);
    });

    test(`${prefix}: multipart upload through the server's part route assembles the exact bytes`, async () => {
      const parts = [Buffer.alloc(300_000, 1), Buffer.alloc(300_000, 2), Buffer.from("tail")];
      // MLflow compat: the URL names the artifact folder, `path` is the client's local file.
      const created = await fx.request(
        "POST",
        `${base}/mpu/create/${dir}/run/artifacts/models`,
        JSON.stringify({ path: "/home/me/exports/model.bin", num_parts: 3 }),
        { ...json, host: "ciclo.test:5000" },
      );
      assert.equal(created.status, 200, created.text);
      const { upload_id, credentials } = created.json;
      assert.match(upload_id, /^[0-9a-f]{32}$/);
      assert.equal(credentials.length, 3);
      for (const [i, c] of credentials.entries()) {
        assert.equal(c.part_number, i + 1);
        assert.deepEqual(c.headers, {});
        assert.equal(c.url, `http://ciclo.test:5000${base}/mpu/upload-part/${dir}/run/artifacts/models/model.bin?upload_id=${upload_id}&part_number=${i + 1}`);
      }
      // Nothing is visible before completion.
      assert.deepEqual((await fx.request("GET", `${base}/artifacts?path=${dir}/run/artifacts/models`)).json, {});
      const done = [];
      for (const c of credentials) {
        const u = new URL(c.url);
        const r = await fx.request("PUT", u.pathname + u.search, parts[c.part_number - 1]);
        assert.equal(r.status, 200, r.text);
        const etag = String(r.headers.etag);
        assert.equal(etag, `"${createHash("md5").update(parts[c.part_number - 1]).digest("hex")}"`);
        done.push({ part_number: c.part_number, etag, url: c.url });
      }
      const completed = await fx.request(
        "POST",
        `${base}/mpu/complete/${dir}/run/artifacts/models`,
        JSON.stringify({ path: "/home/me/exports/model.bin", upload_id, parts: done }),
        json,
      );
      assert.equal(completed.status, 200, completed.text);
      assert.deepEqual(completed.json, {});
      assert.deepEqual(readFileSync(join(fx.artifactsDir, dir, "run/artifacts/models/model.bin")), Buffer.concat(parts));
      assert.deepEqual(readdirSync(join(fx.artifactsDir, ".ciclo-staging")), []);
    });

    test(`${prefix}: multipart abort leaves nothing; bad requests get MLflow's envelope`, async () => {
      const created = await fx.request("POST", `${base}/mpu/create/${dir}/ab`, JSON.stringify({ path: "C:\\Users\\me\\x.bin", num_parts: "2" }), json);
      assert.equal(created.status, 200, created.text);
      const { upload_id, credentials } = created.json;
      assert.match(credentials[0].url, new RegExp(`/mpu/upload-part/${dir}/ab/x\\.bin\\?`));
      const u = new URL(credentials[0].url);
      await fx.request("PUT", u.pathname + u.search, "part one");
      const aborted = await fx.request("POST", `${base}/mpu/abort/${dir}/ab`, JSON.stringify({ path: "x.bin", upload_id }), json);
      assert.deepEqual(aborted.json, {});
      assert.deepEqual(readdirSync(join(fx.artifactsDir, ".ciclo-staging")), []);
      assert.equal(existsSync(join(fx.artifactsDir, dir, "ab")), false);

      assertError(await fx.request("POST", `${base}/mpu/create/${dir}/ab`, JSON.stringify({ num_parts: 1 }), json), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'path'/);
      assertError(await fx.request("POST", `${base}/mpu/create/${dir}/ab`, JSON.stringify({ path: "f", num_parts: 0 }), json), 400, "INVALID_PARAMETER_VALUE", /num_parts/);
      assertError(await fx.request("POST", `${base}/mpu/create/${dir}/ab`, JSON.stringify({ path: "f", num_parts: 2 }), { "content-type": "text/plain" }), 400, "INVALID_PARAMETER_VALUE", /Content-Type/);
      assertError(await fx.request("POST", `${base}/mpu/complete/${dir}/ab`, JSON.stringify({ path: "x.bin", upload_id, parts: [] }), json), 404, "RESOURCE_DOES_NOT_EXIST");
      assertError(await fx.request("POST", `${base}/mpu/abort/${dir}/ab`, JSON.stringify({ path: "x.bin", upload_id: "nope" }), json), 404, "RESOURCE_DOES_NOT_EXIST");
      assertError(await fx.request("PUT", `${base}/mpu/upload-part/${dir}/ab/x.bin?upload_id=${upload_id}&part_number=abc`, "x"), 400, "INVALID_PARAMETER_VALUE");
      assertError(await fx.request("PUT", `${base}/mpu/upload-part/${dir}/ab/x.bin?part_number=1`, "x"), 400, "INVALID_PARAMETER_VALUE", /upload_id/);
    });
  }
});

describe("proxied artifact API with --no-serve-artifacts", () => {
  let fx: TestApp;
  before(async () => (fx = await openTestApp({ serveArtifacts: false })));
  after(async () => fx.close());

  test("every proxied route answers 503 TEMPORARILY_UNAVAILABLE, naming the flag", async () => {
    const calls: Array<[string, string, string?]> = [
      ["GET", "/api/2.0/mlflow-artifacts/artifacts?path=a"],
      ["GET", "/api/2.0/mlflow-artifacts/artifacts/a.txt"],
      ["PUT", "/ajax-api/2.0/mlflow-artifacts/artifacts/a.txt", "x"],
      ["DELETE", "/api/2.0/mlflow-artifacts/artifacts/a.txt"],
      ["POST", "/api/2.0/mlflow-artifacts/mpu/create/a", JSON.stringify({ path: "f", num_parts: 1 })],
    ];
    for (const [method, url, body] of calls) {
      const r = await fx.request(method, url, body, body?.startsWith("{") ? json : undefined);
      assertError(r, 503, "TEMPORARILY_UNAVAILABLE", /--no-serve-artifacts/);
    }
    assert.deepEqual(readdirSync(fx.artifactsDir), []);
  });
});
