// The flow drawn: boxes for the trigger, steps, boundary and ends; each move an arrow labelled with
// how many runs made it. The table under it says the same in text, for screen readers and for
// anyone who wants exact names.
import { layoutFlow, nodeHeight, nodeWidth, type PlacedNode } from './flow-layout';
import type { FlowEdge, FlowNode } from './definition';

const maxLabel = 19;

function short(text: string): string {
  return text.length > maxLabel ? `${text.slice(0, maxLabel - 1)}…` : text;
}

function nodeCaption(n: FlowNode, counted: boolean): string {
  const kind = n.kind === 'end' ? 'run ended' : n.kind === 'approval' ? 'approval boundary' : n.kind;
  return counted ? `${kind} · ${n.runs} run${n.runs === 1 ? '' : 's'}` : kind;
}

export interface FlowGraphProps {
  title: string;
  nodes: FlowNode[];
  edges: FlowEdge[];
  stepOrder: string[];
  /** False when the counts are unknown (no flow from the server): only the declared moves are drawn. */
  counted: boolean;
  windowLabel: string;
}

export function FlowGraph({ title, nodes, edges, stepOrder, counted, windowLabel }: FlowGraphProps) {
  const layout = layoutFlow(nodes, edges, stepOrder);
  const { x, y, width, height } = layout.viewBox;
  const total = edges.reduce((sum, e) => sum + e.count, 0);
  const labelOf = new Map(nodes.map((n) => [n.id, n.label]));
  const summary = counted
    ? `Flow of ${title} over ${windowLabel}: ${nodes.length} nodes, ${edges.length} moves, ${total} moves made by runs. The table below lists each move with its count.`
    : `Steps of ${title}: ${nodes.length} nodes and ${edges.length} moves the file allows. The table below lists them.`;
  return (
    <figure className="flow">
      <div className="flow-scroll">
        <svg
          role="img" aria-label={summary} viewBox={`${x} ${y} ${width} ${height}`}
          style={{ maxWidth: `${width}px`, minWidth: `${Math.min(width, 720)}px` }} className="flow-svg"
        >
          <defs>
            <marker id="flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse">
              <path d="M0 0 L10 5 L0 10 z" className="flow-arrow" />
            </marker>
            <marker id="flow-arrow-faint" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse">
              <path d="M0 0 L10 5 L0 10 z" className="flow-arrow faint" />
            </marker>
          </defs>
          {layout.edges.map((e) => {
            const faint = counted && e.count === 0;
            return (
              <g key={`${e.from}>${e.to}`} className={`flow-edge${faint || !counted ? ' faint' : ''}${e.declared ? '' : ' undeclared'}`}>
                <title>{`${labelOf.get(e.from) ?? e.from} → ${labelOf.get(e.to) ?? e.to}${counted ? `: ${e.count} runs` : ''}${e.declared ? '' : ' (not in this version: seen in runs of another)'}`}</title>
                <path d={e.path} fill="none" strokeWidth={counted && e.count > 0 ? 1.5 + Math.min(4, Math.log2(1 + e.count)) : 1.25} markerEnd={`url(#${faint || !counted ? 'flow-arrow-faint' : 'flow-arrow'})`} />
                {counted ? (
                  <g className="flow-count">
                    <rect x={e.labelX - 12} y={e.labelY - 9} width={24} height={18} rx={9} />
                    <text x={e.labelX} y={e.labelY + 4} textAnchor="middle">{e.count}</text>
                  </g>
                ) : null}
              </g>
            );
          })}
          {layout.nodes.map((n) => <Node key={n.id} n={n} counted={counted} />)}
        </svg>
      </div>
      <figcaption className="muted small">
        Arrows carry the number of runs that made each move{counted ? ` in ${windowLabel}` : ''}; faint: no run made it; dashed: not in this version (seen in runs of another); arcs below go back to an earlier step.
      </figcaption>
      <EdgeTable nodes={nodes} edges={edges} counted={counted} stepOrder={stepOrder} />
    </figure>
  );
}

function Node({ n, counted }: { n: PlacedNode; counted: boolean }) {
  const kind = n.kind === 'end' ? `end end-${n.id.replace(/^end:?/, '') || 'succeeded'}` : n.kind;
  const round = n.kind === 'end' || n.kind === 'trigger' ? nodeHeight / 2 : n.kind === 'approval' ? 14 : 6;
  return (
    <g className={`flow-node kind-${kind}`} transform={`translate(${n.x} ${n.y})`}>
      <title>{`${n.label} (${nodeCaption(n, counted)})`}</title>
      <rect width={nodeWidth} height={nodeHeight} rx={round} />
      <text x={nodeWidth / 2} y={22} textAnchor="middle" className="flow-label">{short(n.label)}</text>
      <text x={nodeWidth / 2} y={40} textAnchor="middle" className="flow-kind">{nodeCaption(n, counted)}</text>
    </g>
  );
}

function EdgeTable({ nodes, edges, counted, stepOrder }: { nodes: FlowNode[]; edges: FlowEdge[]; counted: boolean; stepOrder: string[] }) {
  const labelOf = new Map(nodes.map((n) => [n.id, n.label]));
  const rank = (id: string) => (id === 'trigger' ? -1 : stepOrder.includes(id) ? stepOrder.indexOf(id) : id.startsWith('end') ? 1e6 : stepOrder.length);
  const rows = [...edges].sort((a, b) => rank(a.from) - rank(b.from) || rank(a.to) - rank(b.to));
  return (
    <div className="table-wrap">
      <table className="flow-table">
        <caption className="muted small">Moves between steps{counted ? ', with the runs that made each' : ' the file allows'}</caption>
        <thead>
          <tr><th scope="col">From</th><th scope="col">To</th>{counted ? <th scope="col">Runs</th> : null}<th scope="col">In this version</th></tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={`${e.from}>${e.to}`} className={counted && e.count === 0 ? 'muted' : undefined}>
              <td>{labelOf.get(e.from) ?? e.from}</td>
              <td>{labelOf.get(e.to) ?? e.to}</td>
              {counted ? <td className="num">{e.count}</td> : null}
              <td>{e.declared ? 'yes' : 'no: seen in runs of another version'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
