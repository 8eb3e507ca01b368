/**
 * The order steps run in: a topological sort of `needs:` (Kahn's algorithm,
 * declaration order among steps that are ready together), and the cycle
 * that makes one impossible.
 * @module
 */

/** Step ids in an order where every step comes after its needs; `cycleError` builds the error for a cycle. */
export function stepOrder(steps: ReadonlyArray<{ id: string; needs: readonly string[] }>, cycleError: (cycle: string[]) => Error): string[] {
  const indegree = new Map(steps.map((s) => [s.id, s.needs.length]));
  const dependents = new Map<string, string[]>(steps.map((s) => [s.id, []]));
  for (const s of steps) for (const n of s.needs) dependents.get(n)?.push(s.id);
  const declared = steps.map((s) => s.id);
  const order: string[] = [];
  const ready = declared.filter((id) => indegree.get(id) === 0);
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const d of dependents.get(id)!) {
      indegree.set(d, indegree.get(d)! - 1);
      if (indegree.get(d) === 0) {
        ready.push(d);
        ready.sort((a, b) => declared.indexOf(a) - declared.indexOf(b));
      }
    }
  }
  if (order.length < steps.length) throw cycleError(findCycle(steps, new Set(order)));
  return order;
}

/** One cycle among the steps not placed, in needs order (a needs b needs … needs a). */
function findCycle(steps: ReadonlyArray<{ id: string; needs: readonly string[] }>, placed: Set<string>): string[] {
  const needs = new Map(steps.map((s) => [s.id, s.needs.filter((n) => !placed.has(n))]));
  const start = steps.find((s) => !placed.has(s.id))!.id;
  const path: string[] = [];
  const seenAt = new Map<string, number>();
  let cur = start;
  while (!seenAt.has(cur)) {
    seenAt.set(cur, path.length);
    path.push(cur);
    cur = needs.get(cur)![0];
  }
  return path.slice(seenAt.get(cur));
}
