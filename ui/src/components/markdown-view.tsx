/**
 * Renders a run's markdown description safely. Two layers: markdown-it with
 * raw HTML off (tags in the text come out as text) and its link check, then
 * DOMPurify over the produced HTML with an allow-list — no script, no event
 * handler attributes, no `javascript:`/`data:` links, no iframes or forms.
 * Links open in a new tab without access to this page. Loaded on demand.
 */
import { useEffect, useState } from "react";

type Render = (markdown: string) => string;
let renderer: Promise<Render> | undefined;

const SAFE_URL = /^(https?:|mailto:|#|\/(?!\/))/i;

/** Builds the sanitizing renderer once (its libraries are a separate chunk). */
export function loadMarkdownRenderer(): Promise<Render> {
  renderer ??= Promise.all([import("markdown-it"), import("dompurify")]).then(([mdMod, purifyMod]) => {
    const md = new mdMod.default({ html: false, linkify: true, breaks: false });
    const purify = purifyMod.default;
    purify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A") {
        const href = node.getAttribute("href") ?? "";
        if (!SAFE_URL.test(href.trim())) node.removeAttribute("href");
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
      if (node.tagName === "IMG") {
        const src = node.getAttribute("src") ?? "";
        // Same-origin images only: the CSP would refuse others anyway.
        if (!/^\/(?!\/)/.test(src.trim())) node.removeAttribute("src");
      }
    });
    return (text: string) =>
      purify.sanitize(md.render(text), {
        ALLOWED_TAGS: ["p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td"],
        ALLOWED_ATTR: ["href", "title", "src", "alt", "start", "align"],
        ALLOW_DATA_ATTR: false,
      });
  });
  return renderer;
}

export function MarkdownView({ source }: { source: string }) {
  const [html, setHtml] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    loadMarkdownRenderer().then(
      (render) => live && setHtml(render(source)),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [source]);
  if (error) return <pre className="pre">{source}</pre>;
  if (html === undefined) return <div className="muted small">Rendering…</div>;
  // The HTML was produced with raw HTML disabled and then sanitized above.
  return <div className="markdown" data-testid="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
