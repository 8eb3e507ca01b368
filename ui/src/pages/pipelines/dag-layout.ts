/**
 * Places a pipeline's steps for drawing: each step in the column of its
 * longest chain of `needs` from a root (so every edge points right), steps of
 * a column in definition order; edges from each need to its step.
 */
export interface DagNode {
  id: string;
  needs: string[];
}

export interface PlacedNode {
  id: string;
  column: number;
  row: number;
  x: number;
  y: number;
}

export interface DagLayout {
  nodes: PlacedNode[];
  edges: Array<{ from: PlacedNode; to: PlacedNode }>;
  width: number;
  height: number;
}

export const NODE_W = 168;
export const NODE_H = 48;
const GAP_X = 64;
const GAP_Y = 20;
const PAD = 12;

export function layoutDag(steps: readonly DagNode[]): DagLayout {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const column = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = column.get(id);
    if (known !== undefined) return known;
    // A cycle or an unknown need cannot come from the engine (it refuses them); drawn flat rather than looping.
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const needs = (byId.get(id)?.needs ?? []).filter((n) => byId.has(n));
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map(depth));
    visiting.delete(id);
    column.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const nodes: PlacedNode[] = steps.map((s) => {
    const c = depth(s.id);
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    return { id: s.id, column: c, row: r, x: PAD + c * (NODE_W + GAP_X), y: PAD + r * (NODE_H + GAP_Y) };
  });
  const placed = new Map(nodes.map((n) => [n.id, n]));
  const edges = steps.flatMap((s) => s.needs.filter((n) => placed.has(n)).map((n) => ({ from: placed.get(n)!, to: placed.get(s.id)! })));
  const columns = Math.max(0, ...nodes.map((n) => n.column)) + 1;
  const maxRows = Math.max(1, ...rows.values());
  return { nodes, edges, width: PAD * 2 + columns * NODE_W + (columns - 1) * GAP_X, height: PAD * 2 + maxRows * NODE_H + (maxRows - 1) * GAP_Y };
}
