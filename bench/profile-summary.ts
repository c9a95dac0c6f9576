/**
 * Summarises V8 .cpuprofile files (from BENCH_HSMLINK_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"): the functions with
 * the most self time, and the share of samples under each source file (inclusive, counted once per sample).
 * Usage: `node --import tsx bench/profile-summary.ts DIR [top]`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const dir = process.argv[2] ?? ".";
const top = Number(process.argv[3] ?? 25);
const self = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
for (const f of readdirSync(dir).filter((x) => x.endsWith(".cpuprofile"))) {
  const p = JSON.parse(readFileSync(join(dir, f), "utf8")) as Profile;
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const short = (url: string) =>
    url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, "$1/").replace(/^node:/, "node:");
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const n = nodes.get(id)!;
    const name = `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const u = nodes.get(cur)!.callFrame.url;
      const file = u
        ? short(u).replace(/(node_modules\/(@[^/]+\/)?[^/]+).*/, "$1")
        : nodes.get(cur)!.callFrame.functionName || "(native)";
      if (!seen.has(file)) {
        seen.add(file);
        byFile.set(file, (byFile.get(file) ?? 0) + dt);
      }
    }
  });
}
const pct = (x: number) => ((100 * x) / total).toFixed(1).padStart(5) + "%";
console.log(`total ${(total / 1000).toFixed(0)} ms sampled\n\nself time:`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
console.log("\ninclusive by file/package:");
for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
