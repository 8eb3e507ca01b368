/**
 * New ids for rows keyed by them — runs, MLflow 2 traces, logged models (`m-` + the id) and assessments (`a-` + the
 * id): 32 lowercase hex digits, as MLflow clients expect of `uuid.uuid4().hex`, laid out as a UUIDv7
 * (RFC 9562): the first 48 bits are the creation time in Unix milliseconds, then the version (7), 12 random bits,
 * the variant (binary 10) and 62 random bits — 74 bits from the CSPRNG, so an id stays unguessable. Why time
 * first: a random id lands every insert on a random leaf of its table's key index (the runs' `run_uuid`), and after each checkpoint
 * the first change to a leaf writes a full-page image of it to the WAL; ids that grow with time append to the
 * index's right edge. What the prefix reveals — when the run was created — the run's `start_time` already shows,
 * and ids are not credentials (access goes by permission). Ids made in the same millisecond are not
 * ordered among themselves (all 74 bits stay random); they land on the same leaf all the same.
 *
 * Node 20's `node:crypto` has `randomUUID` (version 4) only and the npm `uuid` package in the tree is 8.x
 * (no v7), hence these few lines over `randomFillSync`, which reads the CSPRNG in blocks for many ids.
 * @module
 */
import { randomFillSync } from "node:crypto";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
/** Random bytes for 409 ids per CSPRNG call; each id takes 10 (74 of their 80 bits are used). */
const pool = Buffer.alloc(4096);
let next = pool.length;

/** A new id (time-ordered, see the module's note); `now` in Unix milliseconds. */
export function newTimeOrderedId(now: number = Date.now()): string {
  if (next + 10 > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const o = next;
  next += 10;
  const p = pool;
  // 48 bits of milliseconds: 12 hex digits until the year 10889.
  return (
    Math.trunc(now).toString(16).padStart(12, "0") +
    HEX[0x70 | (p[o] & 0x0f)] + HEX[p[o + 1]] +
    HEX[0x80 | (p[o + 2] & 0x3f)] + HEX[p[o + 3]] +
    HEX[p[o + 4]] + HEX[p[o + 5]] + HEX[p[o + 6]] + HEX[p[o + 7]] + HEX[p[o + 8]] + HEX[p[o + 9]]
  );
}
