/**
 * Light and dark themes: the system's choice by default, a toggle that is
 * remembered (localStorage). The theme is a `data-theme` attribute on <html>;
 * every color is a CSS variable, so charts read them too.
 */
import { useEffect, useState, useSyncExternalStore } from "react";

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "ciclo.theme";
const media = window.matchMedia("(prefers-color-scheme: dark)");

function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system";
  }
}

function resolved(choice: ThemeChoice): "light" | "dark" {
  return choice === "system" ? (media.matches ? "dark" : "light") : choice;
}

/** Applies the remembered theme; call before the first render so there is no flash. */
export function applyTheme(choice: ThemeChoice = readChoice()): void {
  document.documentElement.dataset.theme = resolved(choice);
}

const listeners = new Set<() => void>();
function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}
const getTheme = () => (document.documentElement.dataset.theme === "dark" ? "dark" : "light");

/** The theme in effect ("light" | "dark"); re-renders when it changes (charts redraw with its colors). */
export function useResolvedTheme(): "light" | "dark" {
  return useSyncExternalStore(subscribe, getTheme);
}

media.addEventListener("change", () => {
  if (readChoice() === "system") {
    applyTheme("system");
    listeners.forEach((l) => l());
  }
});

export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(readChoice);
  useEffect(() => {
    try {
      if (choice === "system") localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // private mode: the choice lasts for this page only
    }
    applyTheme(choice);
    listeners.forEach((l) => l());
  }, [choice]);
  const next: Record<ThemeChoice, ThemeChoice> = { system: "light", light: "dark", dark: "system" };
  const label = { system: "System theme", light: "Light theme", dark: "Dark theme" }[choice];
  const icon = { system: "◐", light: "☀", dark: "☾" }[choice];
  return (
    <button className="btn btn-ghost theme-toggle" title={`${label} (click to change)`} aria-label={label} onClick={() => setChoice(next[choice])}>
      <span aria-hidden="true">{icon}</span>
      <span className="theme-label">{choice === "system" ? "Auto" : choice === "light" ? "Light" : "Dark"}</span>
    </button>
  );
}
