// startupMs / idleRssMb: `hsmlink start` to its ready line on an existing data dir (median of 3), the CPU time the
// process spent up to that line (all threads; less sensitive than wall time to what else runs), and the RSS of
// that process once ready and idle.
import { median, procCpuMs, round, rssMb, startChild, stopChild } from "../harness.js";

export async function startupRow(
  dataDir: string,
): Promise<{ startupMs: number; startupRunsMs: number[]; startupCpuMs: number; idleRssMb: number }> {
  console.error("startup: 3 runs …");
  const startups: number[] = [];
  const rss: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { child, ms } = await startChild(dataDir);
    startups.push(round(ms, 1));
    cpu.push(procCpuMs(child.pid!));
    await new Promise((r) => setTimeout(r, 1_000));
    rss.push(rssMb(child.pid!));
    await stopChild(child);
  }
  return { startupMs: median(startups), startupRunsMs: startups, startupCpuMs: median(cpu), idleRssMb: median(rss) };
}
