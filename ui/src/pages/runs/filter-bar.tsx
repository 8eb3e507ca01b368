/**
 * The filter bar: MLflow's search syntax (`metrics.loss < 0.5 and params.lr = '0.01'`)
 * with autocomplete of keys — entity prefixes, then the metric/param/tag keys
 * of the experiments in view — and the server's error message shown under it
 * when a filter does not parse.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { RunKeys } from "../../api/ciclo-api";
import { quoteKey } from "../../filter-text";
import { FILTER_ATTRIBUTES } from "./run-columns";

interface Props {
  value: string;
  keys: RunKeys | undefined;
  error?: string;
  onApply(filter: string): void;
}

const PREFIXES = ["metrics.", "params.", "tags.", "attributes.", "datasets."];
const MAX_SUGGESTIONS = 12;

/** The identifier being typed at the caret: its start and text. */
export function tokenAt(text: string, caret: number): { start: number; word: string } {
  let start = caret;
  while (start > 0 && /[\w.`\-]/.test(text[start - 1])) start--;
  return { start, word: text.slice(start, caret) };
}

export function suggestionsFor(word: string, keys: RunKeys | undefined): string[] {
  if (word.length === 0) return [];
  const dot = word.indexOf(".");
  if (dot < 0) {
    const w = word.toLowerCase();
    return [...PREFIXES, ...FILTER_ATTRIBUTES.map((a) => `attributes.${a}`)].filter((p) => p.startsWith(w) && p !== w);
  }
  const entity = word.slice(0, dot).toLowerCase();
  const partial = word.slice(dot + 1).replace(/`/g, "").toLowerCase();
  const lists: Record<string, string[]> = {
    metrics: keys?.metrics ?? [],
    metric: keys?.metrics ?? [],
    params: keys?.params ?? [],
    param: keys?.params ?? [],
    tags: keys?.tags ?? [],
    tag: keys?.tags ?? [],
    attributes: FILTER_ATTRIBUTES,
    attribute: FILTER_ATTRIBUTES,
    datasets: ["name", "digest", "context"],
  };
  const list = lists[entity] ?? [];
  const starts = list.filter((k) => k.toLowerCase().startsWith(partial));
  const contains = list.filter((k) => !k.toLowerCase().startsWith(partial) && k.toLowerCase().includes(partial));
  return [...starts, ...contains].slice(0, MAX_SUGGESTIONS).map((k) => `${word.slice(0, dot)}.${quoteKey(k)}`);
}

export function FilterBar({ value, keys, error, onApply }: Props) {
  const [text, setText] = useState(value);
  const [caret, setCaret] = useState(value.length);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const pendingCaret = useRef<number | null>(null);
  useEffect(() => setText(value), [value]);
  // Place the caret after an accepted suggestion in the same commit, before the next key arrives.
  useLayoutEffect(() => {
    if (pendingCaret.current === null) return;
    input.current?.focus();
    input.current?.setSelectionRange(pendingCaret.current, pendingCaret.current);
    pendingCaret.current = null;
  }, [text]);

  const { start, word } = tokenAt(text, caret);
  const suggestions = useMemo(() => suggestionsFor(word, keys), [word, keys]);
  const showList = open && suggestions.length > 0;

  const accept = (s: string) => {
    const next = text.slice(0, start) + s + text.slice(caret);
    const pos = start + s.length;
    setText(next);
    setCaret(pos);
    setActive(0);
    pendingCaret.current = pos;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (showList && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      setActive((a) => (a + (e.key === "ArrowDown" ? 1 : suggestions.length - 1)) % suggestions.length);
    } else if (showList && (e.key === "Tab" || (e.key === "Enter" && word.length > 0 && suggestions[active] !== word))) {
      e.preventDefault();
      accept(suggestions[active]);
    } else if (e.key === "Enter") {
      e.preventDefault();
      setOpen(false);
      onApply(text.trim());
    } else if (e.key === "Escape") {
      setOpen(false);
    }
  };

  return (
    <div className="filter-bar">
      <div className="filter-input-wrap">
        <input
          ref={input}
          className={`input filter-input mono${error ? " input-error" : ""}`}
          type="text"
          spellCheck={false}
          autoComplete="off"
          placeholder="Filter runs: metrics.loss < 0.5 and params.optimizer = 'adam'"
          aria-label="Filter runs"
          aria-invalid={error ? true : undefined}
          aria-expanded={showList}
          aria-autocomplete="list"
          aria-controls="filter-suggestions"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart ?? e.target.value.length);
            setOpen(true);
            setActive(0);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={onKeyDown}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 120)}
        />
        {showList && (
          <ul className="suggestions" id="filter-suggestions" role="listbox" aria-label="Filter suggestions">
            {suggestions.map((s, i) => (
              <li
                key={s}
                role="option"
                aria-selected={i === active}
                className={i === active ? "active" : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(s);
                }}
              >
                {s}
              </li>
            ))}
          </ul>
        )}
      </div>
      <button className="btn" onClick={() => onApply(text.trim())}>
        Apply
      </button>
      {value && (
        <button className="btn btn-ghost" onClick={() => onApply("")}>
          Clear
        </button>
      )}
      {error && (
        <div className="filter-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
