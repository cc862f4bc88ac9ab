// Lays out a workflow's flow for drawing without a graph library, the layered (Sugiyama) way: nodes
// in columns from left to right in the order the file declares its steps; a move that skips columns
// runs through a waypoint in each column it crosses, so it never crosses a box; the order inside a
// column is untangled by barycentre sweeps; loops back go as arcs under the drawing. Pure: nodes and
// edges in, coordinates out.
import type { FlowEdge, FlowNode } from './definition';

export const nodeWidth = 156;
export const nodeHeight = 54;
const columnPitch = 216;
const rowPitch = 84;
const pad = 16;

export interface PlacedNode extends FlowNode {
  x: number;
  y: number;
  layer: number;
}

export interface PlacedEdge extends FlowEdge {
  path: string;
  labelX: number;
  labelY: number;
  kind: 'forward' | 'arc' | 'back' | 'self';
}

export interface FlowLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  viewBox: { x: number; y: number; width: number; height: number };
}

/** Where a node sits in the run's order: trigger first, the file's steps, the boundary before the action it guards, ends last. */
function orderOf(nodes: readonly FlowNode[], edges: readonly FlowEdge[], stepOrder: readonly string[]): Map<string, number> {
  const order = new Map<string, number>();
  const ends = stepOrder.length + 10;
  for (const n of nodes) {
    if (n.kind === 'trigger' || n.id === 'trigger') order.set(n.id, -1);
    else if (n.kind === 'end' || n.id.startsWith('end')) order.set(n.id, ends);
    else if (stepOrder.includes(n.id)) order.set(n.id, stepOrder.indexOf(n.id));
  }
  // The boundary and steps known only from other versions: just before the first known step they
  // lead to, else just after the latest known step leading to them.
  for (let pass = 0; pass < 3; pass++) {
    for (const n of nodes) {
      if (order.has(n.id)) continue;
      const after = edges.filter((e) => e.from === n.id).map((e) => order.get(e.to)).filter((o): o is number => o !== undefined && o < ends);
      const before = edges.filter((e) => e.to === n.id).map((e) => order.get(e.from)).filter((o): o is number => o !== undefined);
      if (after.length > 0) order.set(n.id, Math.min(...after) - 0.5 + pass * 0.01);
      else if (before.length > 0) order.set(n.id, Math.max(...before) + 0.25 + pass * 0.01);
    }
  }
  for (const n of nodes) if (!order.has(n.id)) order.set(n.id, stepOrder.length);
  return order;
}

function bezierMid(p: number[]): [number, number] {
  const [x0, y0, x1, y1, x2, y2, x3, y3] = p as [number, number, number, number, number, number, number, number];
  return [(x0 + 3 * x1 + 3 * x2 + x3) / 8, (y0 + 3 * y1 + 3 * y2 + y3) / 8];
}

/** A place in a column: a node, or a waypoint of a move that crosses the column (so it never crosses a box). */
interface Slot {
  id: string;
  layer: number;
  ord: number;
  virtual: boolean;
  /** Centre, set by placeColumns. */
  cy: number;
}

const waypointPitch = 34;

export function layoutFlow(nodes: readonly FlowNode[], edges: readonly FlowEdge[], stepOrder: readonly string[]): FlowLayout {
  const order = orderOf(nodes, edges, stepOrder);
  const ord = (id: string) => order.get(id) ?? 0;
  // Ties (the end nodes, steps of other versions) keep the order the server gave.
  const sorted = nodes.map((n, i) => ({ n, i })).sort((a, b) => ord(a.n.id) - ord(b.n.id) || a.i - b.i).map((x) => x.n);
  const layer = new Map<string, number>();
  let maxLayer = 0;
  for (const n of sorted) {
    if (n.kind === 'end' || n.id.startsWith('end')) continue;
    const preds = edges.filter((e) => e.to === n.id && ord(e.from) < ord(n.id) && layer.has(e.from)).map((e) => layer.get(e.from)! + 1);
    const l = ord(n.id) < 0 ? 0 : Math.max(1, ...preds);
    layer.set(n.id, l);
    maxLayer = Math.max(maxLayer, l);
  }
  for (const n of sorted) if (!layer.has(n.id)) layer.set(n.id, maxLayer + 1);
  const lastLayer = Math.max(...layer.values(), 0);

  const slots = new Map<string, Slot>();
  sorted.forEach((n, i) => slots.set(n.id, { id: n.id, layer: layer.get(n.id)!, ord: i, virtual: false, cy: 0 }));
  // Moves forward over more than one column get a waypoint in each column they cross.
  const chains = new Map<FlowEdge, string[]>();
  const links: [string, string][] = [];
  for (const e of edges) {
    const a = slots.get(e.from);
    const b = slots.get(e.to);
    if (!a || !b || b.layer <= a.layer) continue;
    const chain = [a.id];
    for (let l = a.layer + 1; l < b.layer; l++) {
      const id = `via:${e.from}>${e.to}:${l}`;
      slots.set(id, { id, layer: l, ord: a.ord + ((b.ord - a.ord) * (l - a.layer)) / (b.layer - a.layer), virtual: true, cy: 0 });
      chain.push(id);
    }
    chain.push(b.id);
    chains.set(e, chain);
    for (let k = 1; k < chain.length; k++) links.push([chain[k - 1]!, chain[k]!]);
  }

  const columns: Slot[][] = Array.from({ length: lastLayer + 1 }, () => []);
  for (const slot of slots.values()) columns[slot.layer]!.push(slot);
  for (const c of columns) c.sort((a, b) => a.ord - b.ord);
  const heightOf = (c: Slot[]) => c.reduce((h, s) => h + (s.virtual ? waypointPitch : rowPitch), 0);
  const placeColumns = () => {
    const tallest = Math.max(...columns.map(heightOf));
    for (const c of columns) {
      let y = (tallest - heightOf(c)) / 2;
      for (const s of c) {
        const h = s.virtual ? waypointPitch : rowPitch;
        s.cy = y + h / 2;
        y += h;
      }
    }
  };
  placeColumns();
  // A few barycentre sweeps: each slot moves towards the slots it connects to, which untangles branches.
  const neighbours = (id: string, side: 0 | 1) => links.filter((l) => l[1 - side] === id).map((l) => slots.get(l[side])!.cy);
  const sweep = (l: number, side: 0 | 1) => {
    const key = new Map(columns[l]!.map((s) => {
      const near = neighbours(s.id, side);
      return [s.id, near.length > 0 ? near.reduce((x, y) => x + y, 0) / near.length : s.cy] as const;
    }));
    columns[l]!.sort((a, b) => key.get(a.id)! - key.get(b.id)! || a.ord - b.ord);
    placeColumns();
  };
  for (let round = 0; round < 3; round++) {
    for (let l = 1; l <= lastLayer; l++) sweep(l, 0);
    for (let l = lastLayer - 1; l >= 0; l--) sweep(l, 1);
  }

  const xOf = (l: number) => pad + l * columnPitch;
  const placed = new Map<string, PlacedNode>();
  for (const n of sorted) {
    const s = slots.get(n.id)!;
    placed.set(n.id, { ...n, layer: s.layer, x: xOf(s.layer), y: s.cy - nodeHeight / 2 });
  }
  const all = [...placed.values()];

  let arcsBelow = 0;
  const placedEdges: PlacedEdge[] = [];
  const curve = (x1: number, y1: number, x2: number, y2: number) => {
    const dx = (x2 - x1) / 2;
    return [x1, y1, x1 + dx, y1, x2 - dx, y2, x2, y2];
  };
  for (const e of edges) {
    const a = placed.get(e.from);
    const b = placed.get(e.to);
    if (!a || !b) continue;
    const chain = chains.get(e);
    if (chain) {
      // Curves between columns, straight runs through the waypoints.
      const stops = chain.slice(1, -1).map((id) => slots.get(id)!);
      let x = a.x + nodeWidth;
      let y = a.y + nodeHeight / 2;
      let d = `M${x} ${y}`;
      let label: [number, number] | undefined;
      for (const v of stops) {
        const p = curve(x, y, xOf(v.layer), v.cy);
        d += ` C${p[2]} ${p[3]}, ${p[4]} ${p[5]}, ${p[6]} ${p[7]} L${xOf(v.layer) + nodeWidth} ${v.cy}`;
        label ??= [xOf(v.layer) + nodeWidth / 2, v.cy];
        [x, y] = [xOf(v.layer) + nodeWidth, v.cy];
      }
      const p = curve(x, y, b.x, b.y + nodeHeight / 2);
      d += ` C${p[2]} ${p[3]}, ${p[4]} ${p[5]}, ${p[6]} ${p[7]}`;
      label ??= bezierMid(p);
      placedEdges.push({ ...e, kind: stops.length > 0 ? 'arc' : 'forward', path: d, labelX: label[0], labelY: label[1] });
      continue;
    }
    let points: number[];
    let kind: PlacedEdge['kind'];
    if (a === b) {
      kind = 'self';
      const x = a.x + nodeWidth;
      points = [x - 24, a.y, x + 30, a.y - 44, x + 40, a.y + 10, x, a.y + nodeHeight / 2];
    } else {
      // A loop back to an earlier step: an arc under everything it spans.
      kind = 'back';
      const spanned = [...slots.values()].filter((s) => s.layer >= b.layer && s.layer <= a.layer);
      const bottom = Math.max(...spanned.map((s) => s.cy + (s.virtual ? 0 : nodeHeight / 2))) + 28 + 24 * arcsBelow++;
      points = [a.x + nodeWidth * 0.3, a.y + nodeHeight, a.x + nodeWidth * 0.3, bottom, b.x + nodeWidth * 0.7, bottom, b.x + nodeWidth * 0.7, b.y + nodeHeight];
    }
    const [labelX, labelY] = bezierMid(points);
    const [x0, y0, x1, y1, x2, y2, x3, y3] = points;
    placedEdges.push({ ...e, kind, labelX, labelY, path: `M${x0} ${y0} C${x1} ${y1}, ${x2} ${y2}, ${x3} ${y3}` });
  }

  // The curves stay inside their control points, so those bound the drawing.
  const ys = [...all.flatMap((n) => [n.y, n.y + nodeHeight]), ...placedEdges.flatMap((e) => e.path.match(/-?\d+(\.\d+)?/g)!.map(Number).filter((_, i) => i % 2 === 1))];
  const xs = all.map((n) => n.x + nodeWidth);
  const minY = Math.min(0, ...ys) - pad;
  const maxY = Math.max(nodeHeight, ...ys) + pad;
  const width = Math.max(...xs, nodeWidth) + pad + 40;
  return { nodes: all, edges: placedEdges, viewBox: { x: 0, y: minY, width, height: maxY - minY } };
}
