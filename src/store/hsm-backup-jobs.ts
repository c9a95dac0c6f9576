/**
 * The Managed HSM backup and restore jobs (`hsm_backup_jobs`): one row per operation, with its status. Every write
 * is one transaction.
 */
import type { Store } from "./db.js";

/** A job as stored; times in epoch s. */
export interface BackupJobRow<Kind extends string = string> {
  job_id: string;
  hsm: string;
  kind: Kind;
  status: "InProgress" | "Succeeded" | "Failed";
  status_details: string | null;
  start_time: number;
  end_time: number | null;
  container_uri: string | null;
}

/** Row-level access to `hsm_backup_jobs`; `Kind` types the operation kinds. */
export class BackupJobRepository<Kind extends string = string> {
  constructor(private readonly store: Store) {}

  private get db() {
    return this.store.db;
  }

  /** Marks every running job Failed with `details` (a job that was running when hsmlink stopped never finishes). */
  failRunning(details: string, endTime: number): void {
    this.store.tx(() =>
      this.db
        .prepare(
          "UPDATE hsm_backup_jobs SET status = 'Failed', status_details = ?, end_time = ? WHERE status = 'InProgress'",
        )
        .run(details, endTime),
    );
  }

  /** The job `jobId` (any casing), or undefined. */
  job(jobId: string): BackupJobRow<Kind> | undefined {
    return this.db.prepare("SELECT * FROM hsm_backup_jobs WHERE job_id = ?").get(jobId.toLowerCase()) as
      BackupJobRow<Kind> | undefined;
  }

  /** The HSM's running job, or undefined. */
  running(hsm: string): { job_id: string; kind: Kind } | undefined {
    return this.db
      .prepare("SELECT job_id, kind FROM hsm_backup_jobs WHERE hsm = ? AND status = 'InProgress'")
      .get(hsm) as { job_id: string; kind: Kind } | undefined;
  }

  /**
   * Inserts the InProgress job `row` unless a job of the same HSM is running, in one transaction.
   * @returns the running job when there is one (nothing is inserted then), else undefined
   */
  startUnlessRunning(row: BackupJobRow<Kind>): { job_id: string; kind: Kind } | undefined {
    return this.store.tx(() => {
      const running = this.running(row.hsm);
      if (running) return running;
      this.db
        .prepare(
          "INSERT INTO hsm_backup_jobs (job_id, hsm, kind, status, start_time) VALUES (?, ?, ?, 'InProgress', ?)",
        )
        .run(row.job_id, row.hsm, row.kind, row.start_time);
      return undefined;
    });
  }

  /** Records a job's end. */
  finish(
    jobId: string,
    status: "Succeeded" | "Failed",
    details: string | null,
    endTime: number,
    containerUri: string | null,
  ): void {
    this.store.tx(() =>
      this.db
        .prepare(
          "UPDATE hsm_backup_jobs SET status = ?, status_details = ?, end_time = ?, container_uri = ? WHERE job_id = ?",
        )
        .run(status, details, endTime, containerUri, jobId),
    );
  }
}
