/** A counter that ticks every `ms` while the page is visible: pass it to useApi's deps for live data. */
import { useEffect, useState } from "react";

export function usePolling(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === "visible") setTick((t) => t + 1);
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
  return tick;
}
