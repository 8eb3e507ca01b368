/**
 * Values as the CLI's tables show them: local times, durations, byte sizes,
 * metric values. JSON output never goes through these (it keeps raw numbers).
 * @module
 */

/** `2025-03-01 14:05:09` in local time; "-" for none. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `1h 02m`, `3m 05s`, `4.2s`; "-" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const p = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${p(m)}m`;
  return `${m}m ${p(sec)}s`;
}

/** `512 B`, `1.5 KiB`, `20.0 MiB`. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** A metric value: up to 6 significant digits, NaN/±Infinity spelled out. */
export function formatMetric(v: number | undefined): string {
  if (v === undefined) return "";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const s = v.toPrecision(6);
  return s.includes("e") ? s : String(Number(s));
}

/**
 * `--older-than` durations, MLflow's spelling (`1d2h3m4s`) and single units
 * (`30d`, `12h`, `90m`, `45s`, `2w`); resolves to ms, undefined when malformed.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (!/^(\d+(\.\d+)?[wdhms])+$/.test(t)) return undefined;
  const unit: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)([wdhms])/g)) ms += Number(m[1]) * unit[m[2]];
  return Math.round(ms);
}
