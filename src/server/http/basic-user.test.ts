/**
 * The user a client claims in HTTP Basic credentials: the name before the
 * first colon, trimmed; none for other schemes, and none when it is empty,
 * longer than its column, or holds control characters.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { claimedBasicUser } from "./basic-user.js";

const basic = (credentials: string, scheme = "Basic") => `${scheme} ${Buffer.from(credentials, "utf8").toString("base64")}`;

test("the name before the first colon, trimmed, any case of the scheme; none otherwise", () => {
  assert.equal(claimedBasicUser(basic("alice:s3:cret")), "alice");
  assert.equal(claimedBasicUser(basic(" bob :pw", "basic")), "bob");
  assert.equal(claimedBasicUser(basic("carol")), "carol", "no colon: all of it");
  assert.equal(claimedBasicUser(basic("zoë:pw")), "zoë");
  assert.equal(claimedBasicUser(`Basic   ${Buffer.from("dave:pw").toString("base64")}  `), "dave");
  assert.equal(claimedBasicUser(basic(`${"u".repeat(256)}:pw`)), "u".repeat(256));
  for (const header of [undefined, "", "Bearer abc", "Basic", basic(":pw"), basic("   :pw"), basic(`${"u".repeat(257)}:pw`), basic("e\nve:pw"), basic("mal\u007f:pw"), basic("a\u0000b")]) {
    assert.equal(claimedBasicUser(header), null, JSON.stringify(header));
  }
});
