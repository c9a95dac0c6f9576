// startupMs / idleRssMb: `hsmlink start` to its ready line on an existing data dir (median of 3), and the RSS of
// that process once ready and idle.
import { median, round, rssMb, startChild, stopChild } from "../harness.js";

export async function startupRow(
  dataDir: string,
): Promise<{ startupMs: number; startupRunsMs: number[]; idleRssMb: number }> {
  console.error("startup: 3 runs …");
  const startups: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { child, ms } = await startChild(dataDir);
    startups.push(round(ms, 1));
    await new Promise((r) => setTimeout(r, 1_000));
    rss.push(rssMb(child.pid!));
    await stopChild(child);
  }
  return { startupMs: median(startups), startupRunsMs: startups, idleRssMb: median(rss) };
}
