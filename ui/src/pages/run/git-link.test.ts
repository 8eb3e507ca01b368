/** Git commit links: known hosts' remotes, never a non-http link. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { commitUrl } from "./git-link";

describe("git commit links", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";
  test("scp-style, https and ssh remotes of known hosts", () => {
    assert.equal(commitUrl("git@github.com:acme/vision.git", sha), `https://github.com/acme/vision/commit/${sha}`);
    assert.equal(commitUrl("https://user:token@gitlab.com/acme/vision.git", sha), `https://gitlab.com/acme/vision/-/commit/${sha}`);
    assert.equal(commitUrl("ssh://git@bitbucket.org:22/acme/vision", sha), `https://bitbucket.org/acme/vision/commits/${sha}`);
  });
  test("no link for hostile or unknown input", () => {
    assert.equal(commitUrl("javascript:alert(1)//github.com/a/b", sha), undefined);
    assert.equal(commitUrl("file:///srv/repo", sha), undefined);
    assert.equal(commitUrl("https://github.com/a/b", "not-a-sha\"><script>"), undefined);
    assert.equal(commitUrl(undefined, sha), undefined);
  });
});
