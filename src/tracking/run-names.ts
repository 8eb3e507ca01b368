/**
 * Readable random run names (`brave-otter-417`) for runs created without one,
 * in the shape MLflow users know: `<adjective>-<noun>-<0..999>`, at most 20 characters.
 * @module
 */
import { randomInt } from "node:crypto";

const ADJECTIVES = [
  "amber", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "daring", "eager",
  "fancy", "fierce", "gentle", "glad", "golden", "grand", "happy", "honest", "humble", "jolly",
  "keen", "kind", "lively", "lucky", "mellow", "merry", "mighty", "misty", "noble", "polite",
  "proud", "quick", "quiet", "rapid", "rare", "silent", "silver", "sleek", "smooth", "snowy",
  "solid", "sunny", "swift", "tidy", "vivid", "warm", "wise", "witty", "young", "zesty",
];
const NOUNS = [
  "ant", "bat", "bear", "bee", "bison", "boar", "carp", "cat", "colt", "crab",
  "crow", "deer", "dove", "duck", "eel", "elk", "finch", "fox", "frog", "gnu",
  "goat", "hare", "hawk", "heron", "ibis", "jay", "koala", "lark", "lion", "lynx",
  "mole", "moth", "mouse", "newt", "owl", "ox", "panda", "pig", "puma", "quail",
  "ram", "robin", "seal", "shark", "slug", "snail", "swan", "tiger", "toad", "trout",
  "vole", "wasp", "whale", "wolf", "wren", "yak", "zebra",
];

export function generateRunName(): string {
  const pick = <T>(a: T[]) => a[randomInt(a.length)];
  const name = `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(1000)}`;
  return name.slice(0, 20);
}
