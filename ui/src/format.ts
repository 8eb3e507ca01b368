/** Display formats shared by the pages: times, durations, numbers. */

const dateTime = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

export function formatTime(ms: number | undefined | null): string {
  return ms === undefined || ms === null ? "—" : dateTime.format(new Date(ms));
}

const shortSameYear = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const shortOtherYear = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });

/** Compact time for table cells: no year within the current year. */
export function formatTimeShort(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) return "—";
  const d = new Date(ms);
  return (d.getFullYear() === new Date().getFullYear() ? shortSameYear : shortOtherYear).format(d);
}

export function formatRelative(ms: number | undefined | null, now = Date.now()): string {
  if (ms === undefined || ms === null) return "—";
  const s = Math.round((now - ms) / 1000);
  if (s < 45) return "just now";
  const units: Array<[number, string]> = [[60, "min"], [3600, "h"], [86400, "d"], [86400 * 30, "mo"], [86400 * 365, "y"]];
  for (let i = units.length - 1; i >= 0; i--) {
    const [size, name] = units[i];
    if (Math.abs(s) >= size) return `${Math.round(s / size)} ${name} ago`;
  }
  return `${s} s ago`;
}

export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || ms < 0) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Metric values: 4 significant digits, exponent form for very large or small magnitudes. */
export function formatNumber(v: number | string | undefined | null): string {
  if (v === undefined || v === null || v === "") return "";
  const n = typeof v === "number" ? v : Number(v);
  if (typeof v === "string" && !Number.isFinite(n)) return v;
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "∞" : "−∞";
  if (n === 0) return "0";
  const a = Math.abs(n);
  if (a >= 1e6 || a < 1e-4) return n.toExponential(3);
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  return Number(n.toPrecision(5)).toString();
}

export const formatCount = (n: number) => n.toLocaleString("en-US");

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
