/**
 * The server-rendered monitor report, embedded at the height of its content: the page scrolls, not a frame inside
 * it (a fixed-height frame cut the report off or scrolled inside the scrolling page). The frame may be read by this
 * page (`allow-same-origin`) so its height can be measured, and still runs no script (no `allow-scripts`; the
 * report's own CSP allows none either); it is measured when it loads and again when its width changes, which
 * reflows the report.
 */
import { useCallback, useEffect, useRef, useState } from "react";

/** Until the report has loaded: room for its first sections, so the page does not jump from nothing. */
const LOADING_HEIGHT = 480;

function contentHeight(frame: HTMLIFrameElement): number | undefined {
  const doc = frame.contentDocument;
  if (!doc?.body) return undefined;
  const margin = (v: string) => Number.parseFloat(v) || 0;
  const style = frame.contentWindow?.getComputedStyle(doc.body);
  // The body's box plus its margins: unlike the document's scrollHeight, it shrinks when a wider frame reflows shorter.
  return Math.ceil(doc.body.getBoundingClientRect().height + (style ? margin(style.marginTop) + margin(style.marginBottom) : 0));
}

export function ReportFrame({ title, src }: { title: string; src: string }) {
  const ref = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState<number>();
  const measure = useCallback(() => {
    const h = ref.current && contentHeight(ref.current);
    if (h) setHeight(h);
  }, []);
  useEffect(() => {
    const frame = ref.current;
    if (!frame || typeof ResizeObserver === "undefined") return;
    let width = frame.clientWidth;
    const observer = new ResizeObserver(() => {
      if (frame.clientWidth === width) return; // only a new width reflows the report
      width = frame.clientWidth;
      measure();
    });
    observer.observe(frame);
    return () => observer.disconnect();
  }, [measure]);
  return (
    <iframe
      ref={ref}
      title={title}
      src={src}
      sandbox="allow-same-origin"
      scrolling="no"
      onLoad={measure}
      className="report-frame"
      style={{ width: "100%", height: height ?? LOADING_HEIGHT, border: "none", display: "block" }}
    />
  );
}
