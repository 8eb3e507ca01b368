/** A pipeline run's steps as a left-to-right graph, coloured by state; a click selects a step (its logs). */
import type { WireStep } from "../../api/pipelines-api";
import { layoutDag, NODE_H, NODE_W } from "./dag-layout";

export function StepGraph({ steps, selected, onSelect }: { steps: WireStep[]; selected?: string; onSelect(stepId: string): void }) {
  const layout = layoutDag(steps.map((s) => ({ id: s.step_id, needs: s.needs })));
  const byId = new Map(steps.map((s) => [s.step_id, s]));
  return (
    <svg className="step-graph" width={layout.width} height={layout.height} role="img" aria-label="Pipeline steps">
      <defs>
        <marker id="step-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="step-edge-head" />
        </marker>
      </defs>
      {layout.edges.map((e) => {
        const x1 = e.from.x + NODE_W;
        const y1 = e.from.y + NODE_H / 2;
        const x2 = e.to.x;
        const y2 = e.to.y + NODE_H / 2;
        const mid = (x1 + x2) / 2;
        return <path key={`${e.from.id}>${e.to.id}`} className="step-edge" d={`M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`} markerEnd="url(#step-arrow)" />;
      })}
      {layout.nodes.map((n) => {
        const s = byId.get(n.id)!;
        return (
          <g
            key={n.id}
            className={`step-node step-${s.status}${selected === n.id ? " step-selected" : ""}`}
            data-step={n.id}
            data-status={s.status}
            transform={`translate(${n.x} ${n.y})`}
            onClick={() => onSelect(n.id)}
            role="button"
            tabIndex={0}
            onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && onSelect(n.id)}
          >
            <title>{`${n.id} (${s.uses}): ${s.status}${s.cached_from ? `, reused from run ${s.cached_from}` : ""}`}</title>
            <rect width={NODE_W} height={NODE_H} rx={6} />
            <text x={10} y={19} className="step-name">{n.id.length > 20 ? `${n.id.slice(0, 19)}…` : n.id}</text>
            <text x={10} y={37} className="step-meta">{`${s.uses} · ${s.status}${s.attempt > 1 ? ` · try ${s.attempt}` : ""}`}</text>
          </g>
        );
      })}
    </svg>
  );
}
