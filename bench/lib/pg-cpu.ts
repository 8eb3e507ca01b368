/**
 * CPU time of the PostgreSQL processes that serve one database, from /proc (Linux; the server runs on this
 * machine): its backends (the connections to that database: the statements' own work, commit included), and
 * the server's background processes (WAL writer, checkpointer, background writer — shared with every other
 * database on the server, so a figure other work on the machine can inflate). A benchmark divides the change
 * over a measured window by the requests served: CPU per request, which load on the machine does not distort
 * as it distorts throughput.
 * @module
 */
import pg from "pg";
import { processCpuSeconds } from "./proc-cpu.js";

export interface PgCpuSeconds {
  /** The database's client backends. */
  backends: number;
  /** The server's background processes (every database's). */
  background: number;
  /** Transactions the database committed (a group commit is one, so requests / commits is the mean group). */
  commits: number;
  /** WAL the server wrote (pg_stat_wal: every database's, so other work on the server inflates it): bytes, full-page images. */
  walBytes: number;
  walFpi: number;
}

export class PgCpu {
  private start = new Map<number, number>();
  private startCommits = 0;
  private startWal = { bytes: 0, fpi: 0 };

  private constructor(private readonly client: pg.Client) {}

  /** Watches the database `uri` names (one more connection to it, idle outside {@link begin}/{@link end}). */
  static async open(uri: string): Promise<PgCpu> {
    const client = new pg.Client({ connectionString: uri.replace(/^postgres(ql)?(\+\w+)?:/, "postgresql:") });
    await client.connect();
    return new PgCpu(client);
  }

  private async pids(): Promise<Array<{ pid: number; client: boolean }>> {
    const res = await this.client.query<{ pid: number; client: boolean }>(
      "select pid, backend_type = 'client backend' as client from pg_stat_activity " +
        "where (datname = current_database() and pid <> pg_backend_pid()) or backend_type not in ('client backend', 'walsender')",
    );
    return res.rows;
  }

  /** Transactions committed in the database so far (the statistics lag by up to a second; windows are longer). */
  private async commits(): Promise<number> {
    const res = await this.client.query<{ n: string }>("select xact_commit as n from pg_stat_database where datname = current_database()");
    return Number(res.rows[0].n);
  }

  /** WAL written by the whole server so far. */
  private async wal(): Promise<{ bytes: number; fpi: number }> {
    const res = await this.client.query<{ bytes: string; fpi: string }>("select wal_bytes as bytes, wal_fpi as fpi from pg_stat_wal");
    return { bytes: Number(res.rows[0].bytes), fpi: Number(res.rows[0].fpi) };
  }

  /** Starts a window: every watched process's CPU now. */
  async begin(): Promise<void> {
    this.start = new Map((await this.pids()).map((p) => [p.pid, processCpuSeconds(p.pid)]));
    this.startCommits = await this.commits();
    this.startWal = await this.wal();
  }

  /** CPU seconds since {@link begin}; a backend that appeared meanwhile counts whole. */
  async end(): Promise<PgCpuSeconds> {
    const wal = await this.wal();
    const out: PgCpuSeconds = {
      backends: 0,
      background: 0,
      commits: (await this.commits()) - this.startCommits,
      walBytes: wal.bytes - this.startWal.bytes,
      walFpi: wal.fpi - this.startWal.fpi,
    };
    for (const p of await this.pids()) {
      const used = processCpuSeconds(p.pid) - (this.start.get(p.pid) ?? 0);
      if (p.client) out.backends += used;
      else out.background += used;
    }
    return out;
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
