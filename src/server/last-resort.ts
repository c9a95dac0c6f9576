/**
 * The last line of defence of a running `hsmlink start`: an exception or promise rejection that escapes every
 * handler is logged and the process keeps serving (Node 20 would otherwise exit on an unhandled rejection).
 */
/**
 * Keeps a running `hsmlink start` serving when a bug lets an exception or a promise rejection escape: it is
 * logged (stderr, one line with the stack) and the process goes on, so one bad request cannot take down every
 * listener for every client on the machine. Each failure is still a bug to fix at its source.
 */
export function installLastResortGuard(): void {
  const report = (kind: string) => (err: unknown) => {
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`hsmlink: ${kind} (kept serving; please report it): ${text.replace(/\n\s*/g, " | ")}\n`);
  };
  process.on("unhandledRejection", report("unhandled promise rejection"));
  process.on("uncaughtException", report("uncaught exception"));
}
