/** A registered model's aliases (`@champion` → a version): point one at another version, remove it, add one. */
import { useState } from "react";
import { useAction } from "../../components/use-action";
import { deleteModelAlias, setModelAlias } from "../../api/registry-api";
import { ErrorBanner } from "../../components/states";
import { Link } from "../../router/router";
import { versionPath } from "./model-links";
import { Card } from "../../components/card";

interface Props {
  name: string;
  aliases: Array<{ alias: string; version: string }>;
  /** Version numbers to choose from, newest first. */
  versions: string[];
  onChanged(): void;
}

export function AliasesCard({ name, aliases, versions, onChanged }: Props) {
  const [alias, setAlias] = useState("");
  const [version, setVersion] = useState("");
  const { busy, error, clearError, run } = useAction();
  const act = async (fn: () => Promise<unknown>) => {
    const ok = await run(fn);
    if (ok) onChanged();
    return ok;
  };
  const sorted = aliases.slice().sort((a, b) => a.alias.localeCompare(b.alias));
  return (
    <Card title="Aliases" count={aliases.length}>
      {error && <ErrorBanner error={error} onDismiss={clearError} />}
      {sorted.length === 0 ? (
        <div className="card-empty muted">No aliases. An alias such as champion names the version to serve: models:/{name}@champion.</div>
      ) : (
        <table className="table alias-table">
          <tbody>
            {sorted.map((a) => (
              <tr key={a.alias} data-alias={a.alias}>
                <td>
                  <span className="alias-chip">@{a.alias}</span>
                </td>
                <td>
                  <Link to={versionPath(name, a.version)}>Version {a.version}</Link>
                </td>
                <td className="col-actions">
                  <div className="alias-actions">
                  <select
                    className="select select-small"
                    aria-label={`Version of alias ${a.alias}`}
                    value={a.version}
                    disabled={busy}
                    onChange={(e) => void act(() => setModelAlias(name, a.alias, e.target.value))}
                  >
                    {(versions.includes(a.version) ? versions : [a.version, ...versions]).map((v) => (
                      <option key={v} value={v}>
                        v{v}
                      </option>
                    ))}
                  </select>
                  <button className="btn btn-small btn-ghost btn-danger-text" aria-label={`Remove alias ${a.alias}`} disabled={busy} onClick={() => act(() => deleteModelAlias(name, a.alias))}>
                    Remove
                  </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="inline-form add-tag"
        onSubmit={async (e) => {
          e.preventDefault();
          const v = version || versions[0];
          if (alias.trim() && v && (await act(() => setModelAlias(name, alias.trim(), v)))) setAlias("");
        }}
      >
        <input className="input input-small" placeholder="alias, e.g. champion" aria-label="New alias" value={alias} onChange={(e) => setAlias(e.target.value)} />
        <select className="select select-small" aria-label="Version for the new alias" value={version || versions[0] || ""} onChange={(e) => setVersion(e.target.value)}>
          {versions.map((v) => (
            <option key={v} value={v}>
              v{v}
            </option>
          ))}
        </select>
        <button className="btn btn-small" disabled={busy || !alias.trim() || versions.length === 0}>
          Set alias
        </button>
      </form>
    </Card>
  );
}
