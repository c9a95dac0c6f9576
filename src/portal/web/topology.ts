/**
 * The topology picture: the server's nodes and edges laid out by elkjs (layered, left to right: DNS zones, VNets
 * with their subnets, VMs and private endpoints, managed HSMs), in elkjs's worker so large pictures do not block
 * the page, then drawn as SVG. Every node is a focusable button (Enter/Space selects it).
 */
import * as elkApi from "elkjs/lib/elk-api.js";
import type { ELK, ELKConstructorArguments, ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api.js";
import type { GraphEdge, GraphNode, TopologyView } from "../model.js";

const SVG = "http://www.w3.org/2000/svg";
const LINE = 16;
const PAD = 8;
const TITLE_PAD = 24;
/** Above this many VNets the picture folds subnets and VMs into their VNet's text (unless asked otherwise). */
export const COLLAPSE_ABOVE_VNETS = 40;

// elk-api.js is a UMD module whose export is the constructor (also under `default`).
const ElkConstructor = ((elkApi as unknown as { default?: unknown }).default ?? elkApi) as new (
  args?: ELKConstructorArguments,
) => ELK;
let elk: ELK | undefined;
const layoutEngine = () => (elk ??= new ElkConstructor({ workerUrl: "/assets/elk-worker.min.js" }));

/** Starts elkjs's worker (download, parse, start-up) so it is ready when the first picture needs it. */
export function warmUpLayout(): void {
  void layoutEngine().layout({ id: "warm-up", children: [{ id: "a", width: 10, height: 10 }], edges: [] });
}

let measureCtx: CanvasRenderingContext2D | null | undefined;
function textWidth(text: string, bold = false): number {
  measureCtx ??= document.createElement("canvas").getContext("2d");
  if (!measureCtx) return text.length * 7;
  measureCtx.font = `${bold ? "600 " : ""}12px system-ui, sans-serif`;
  return measureCtx.measureText(text).width;
}

/** What was drawn, for the status line and the browser test. */
export interface DrawResult {
  readonly nodes: number;
  readonly edges: number;
  readonly collapsed: boolean;
  readonly layoutMs: number;
}

/** Folds subnets and VMs into their VNet (large topologies): private endpoints move to the top level. */
function collapse(view: TopologyView): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const vnetOf = (id: string | undefined): GraphNode | undefined => {
    let n = id ? byId.get(id) : undefined;
    while (n && n.kind !== "vnet") n = n.parent ? byId.get(n.parent) : undefined;
    return n;
  };
  const summary = new Map<string, { subnets: string[]; vms: string[] }>();
  for (const n of view.nodes) {
    const v = n.kind === "subnet" || n.kind === "vm" ? vnetOf(n.parent) : undefined;
    if (!v) continue;
    const s = summary.get(v.id) ?? { subnets: [], vms: [] };
    if (n.kind === "subnet") s.subnets.push(`${n.label} ${n.lines[0]?.replace(/^subnet /, "") ?? ""}`);
    else s.vms.push(`${n.label} ${n.lines[0]?.replace(/^VM private /, "") ?? ""}`);
    summary.set(v.id, s);
  }
  const nodes: GraphNode[] = [];
  for (const n of view.nodes) {
    if (n.kind === "subnet" || n.kind === "vm") continue;
    if (n.kind === "vnet") {
      const s = summary.get(n.id);
      nodes.push({
        ...n,
        lines: [
          ...n.lines,
          ...(s
            ? [
                `subnets: ${s.subnets.slice(0, 3).join("; ")}${s.subnets.length > 3 ? ` (+${s.subnets.length - 3})` : ""}`,
              ]
            : []),
          ...(s?.vms.length
            ? [`VMs: ${s.vms.slice(0, 3).join("; ")}${s.vms.length > 3 ? ` (+${s.vms.length - 3})` : ""}`]
            : []),
        ],
      });
    } else if (n.kind === "private-endpoint") {
      const v = vnetOf(n.parent);
      const { parent: _parent, ...rest } = n;
      nodes.push({ ...rest, lines: [...n.lines, ...(v ? [`in ${v.label}/${n.parent?.split("/").pop() ?? ""}`] : [])] });
    } else nodes.push(n);
  }
  const kept = new Set(nodes.map((n) => n.id));
  const edges = view.edges.filter((e) => kept.has(e.source) && kept.has(e.target));
  for (const n of view.nodes) {
    if (n.kind !== "private-endpoint") continue;
    const v = vnetOf(n.parent);
    if (v) edges.push({ id: `${v.id}|contains|${n.id}`, kind: "record-target", source: v.id, target: n.id, label: "" });
  }
  return { nodes, edges };
}

/**
 * Lays out and draws `view` into `container`, replacing what was there. `onSelect` gets the id of a node the user
 * selects. Resolves when the SVG is in the page.
 */
export async function drawTopology(
  container: HTMLElement,
  view: TopologyView,
  opts: { expandAll: boolean; onSelect: (node: GraphNode) => void },
): Promise<DrawResult> {
  const vnets = view.nodes.filter((n) => n.kind === "vnet").length;
  const collapsed = vnets > COLLAPSE_ABOVE_VNETS && !opts.expandAll;
  const { nodes, edges } = collapsed ? collapse(view) : { nodes: [...view.nodes], edges: [...view.edges] };
  const elkNodes = new Map<string, ElkNode>();
  const graphNodes = new Map<string, GraphNode>();
  for (const n of nodes) {
    graphNodes.set(n.id, n);
    const width = Math.ceil(Math.max(textWidth(n.label, true), ...n.lines.map((l) => textWidth(l)))) + 2 * PAD;
    const height = (1 + n.lines.length) * LINE + 2 * PAD;
    elkNodes.set(n.id, {
      id: n.id,
      width,
      height,
      children: [],
      layoutOptions: {
        "elk.padding": `[top=${(1 + n.lines.length) * LINE + PAD + 4},left=${PAD},bottom=${PAD},right=${PAD}]`,
        "elk.nodeSize.minimum": `(${width},${height})`,
        "elk.nodeSize.constraints": "MINIMUM_SIZE",
      },
    });
  }
  const roots: ElkNode[] = [];
  for (const n of nodes) {
    const e = elkNodes.get(n.id)!;
    const parent = n.parent ? elkNodes.get(n.parent) : undefined;
    (parent ? parent.children! : roots).push(e);
  }
  // Large pictures: no edge labels (ELK's label placement dominates its time; the colour and the tooltip say the
  // state); folded ones also skip crossing minimisation — the server's order (VNets, endpoints, HSMs) stands.
  const large = nodes.length > 150;
  const elkEdges: ElkExtendedEdge[] = edges.map((e) => ({
    id: e.id,
    sources: [e.source],
    targets: [e.target],
    ...(e.label && !large ? { labels: [{ text: e.label, width: textWidth(e.label) + 6, height: LINE }] } : {}),
  }));
  const started = performance.now();
  const graph: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.hierarchyHandling": "INCLUDE_CHILDREN",
      "elk.json.shapeCoords": "ROOT",
      "elk.json.edgeCoords": "ROOT",
      "elk.spacing.nodeNode": "24",
      "elk.layered.spacing.nodeNodeBetweenLayers": "48",
      "elk.spacing.edgeLabel": "4",
      "elk.edgeLabels.placement": "CENTER",
      ...(large
        ? {
            "elk.layered.thoroughness": "1",
            // Flat (folded) pictures keep the server's order; nested ones need the sweep (NONE never finishes there).
            ...(collapsed
              ? { "elk.layered.crossingMinimization.strategy": "NONE", "elk.layered.nodePlacement.strategy": "SIMPLE" }
              : { "elk.layered.nodePlacement.strategy": "LINEAR_SEGMENTS" }),
            "elk.layered.crossingMinimization.greedySwitch.type": "OFF",
            "elk.edgeRouting": "POLYLINE",
            "elk.layered.compaction.postCompaction.strategy": "NONE",
          }
        : {}),
    },
    children: roots,
    edges: elkEdges,
  };
  const laid: ElkNode = await layoutEngine().layout(graph);
  const layoutMs = performance.now() - started;

  const svg = document.createElementNS(SVG, "svg");
  const width = Math.ceil((laid.width ?? 0) + 24);
  const height = Math.ceil((laid.height ?? 0) + 24);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "group");
  svg.setAttribute(
    "aria-label",
    `Topology of subscription ${view.subscriptionId}: ${nodes.length} resources, ${edges.length} relations`,
  );
  svg.dataset.naturalWidth = String(width);
  svg.dataset.naturalHeight = String(height);
  const nodeLayer = document.createElementNS(SVG, "g");
  const edgeLayer = document.createElementNS(SVG, "g");

  const drawNode = (e: ElkNode) => {
    const n = graphNodes.get(e.id);
    if (!n) return;
    const g = document.createElementNS(SVG, "g");
    g.setAttribute("class", "node");
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", `${n.kind.replace(/-/g, " ")} ${n.label}: ${n.lines.join("; ")}`);
    g.dataset.kind = n.kind;
    g.dataset.id = n.id;
    g.dataset.name = n.label;
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", String(e.x ?? 0));
    rect.setAttribute("y", String(e.y ?? 0));
    rect.setAttribute("width", String(e.width ?? 0));
    rect.setAttribute("height", String(e.height ?? 0));
    rect.setAttribute("rx", n.kind === "managed-hsm" ? "8" : "4");
    g.append(rect);
    [n.label, ...n.lines].forEach((line, i) => {
      const t = document.createElementNS(SVG, "text");
      t.setAttribute("x", String((e.x ?? 0) + PAD));
      t.setAttribute("y", String((e.y ?? 0) + PAD + (i + 1) * LINE - 4));
      if (i === 0) t.setAttribute("class", "title");
      t.textContent = line;
      g.append(t);
    });
    const select = () => {
      for (const s of svg.querySelectorAll(".node.selected")) s.classList.remove("selected");
      g.classList.add("selected");
      opts.onSelect(n);
    };
    g.addEventListener("click", (ev) => {
      ev.stopPropagation();
      select();
    });
    g.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        ev.stopPropagation();
        select();
      }
    });
    nodeLayer.append(g);
    for (const c of e.children ?? []) drawNode(c);
  };
  for (const r of laid.children ?? []) drawNode(r);

  const edgeById = new Map(edges.map((e) => [e.id, e]));
  const allEdges: ElkExtendedEdge[] = [];
  const collect = (n: ElkNode) => {
    allEdges.push(...(n.edges ?? []));
    for (const c of n.children ?? []) collect(c);
  };
  collect(laid);
  for (const e of allEdges) {
    const model = edgeById.get(e.id);
    if (!model) continue;
    const g = document.createElementNS(SVG, "g");
    g.setAttribute("class", "edge");
    g.dataset.kind = model.kind;
    g.dataset.source = model.source;
    g.dataset.target = model.target;
    if (model.state) g.dataset.state = model.state;
    g.dataset.label = model.label;
    for (const s of e.sections ?? []) {
      const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("d", pts.map((p, i) => `${i === 0 ? "M" : "L"}${p.x},${p.y}`).join(" "));
      if (model.kind === "connection" || model.kind === "zone-link") path.setAttribute("marker-end", "url(#arrow)");
      g.append(path);
    }
    for (const l of e.labels ?? []) {
      const lg = document.createElementNS(SVG, "g");
      lg.setAttribute("class", "edge-label");
      const bg = document.createElementNS(SVG, "rect");
      bg.setAttribute("x", String(l.x ?? 0));
      bg.setAttribute("y", String(l.y ?? 0));
      bg.setAttribute("width", String(l.width ?? 0));
      bg.setAttribute("height", String(l.height ?? 0));
      const t = document.createElementNS(SVG, "text");
      t.setAttribute("x", String((l.x ?? 0) + 3));
      t.setAttribute("y", String((l.y ?? 0) + LINE - 4));
      t.textContent = l.text ?? "";
      lg.append(bg, t);
      g.append(lg);
    }
    const title = document.createElementNS(SVG, "title");
    title.textContent = model.label;
    g.append(title);
    edgeLayer.append(g);
  }
  const defs = document.createElementNS(SVG, "defs");
  defs.innerHTML =
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker>';
  svg.append(defs, nodeLayer, edgeLayer);
  container.replaceChildren(svg);
  return { nodes: nodes.length, edges: edges.length, collapsed, layoutMs };
}
