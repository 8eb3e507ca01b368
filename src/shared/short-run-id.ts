/**
 * A run id shortened for display: its last 8 hex digits after an ellipsis. Run ids are laid out as UUIDv7 (time
 * first, see docs/tracking.md), so runs made within a minute of each other share their first 8 digits; the last
 * 8 are random in new and imported (uuid4) ids alike.
 * @module
 */
export function shortRunId(id: string): string {
  return id.length > 8 ? `…${id.slice(-8)}` : id;
}
