// Keeps the progress card's clocks running between server renders: every half second, each
// <dd data-clock="up|down" data-base="seconds"> shows its base plus (or minus) the time since that base
// arrived, formatted like views.fmt_clock. A new render brings a new base, which resets the count.
(() => {
  const fmt = (s) => {
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  };
  const tick = () => {
    const now = Date.now();
    for (const el of document.querySelectorAll("[data-clock]")) {
      const base = el.getAttribute("data-base");
      if (el.__sdBase !== base) { el.__sdBase = base; el.__sdSeen = now; }
      const delta = (now - el.__sdSeen) / 1000;
      const value = Number(base) + (el.getAttribute("data-clock") === "down" ? -delta : delta);
      const text = (el.getAttribute("data-prefix") || "") + fmt(value);
      if (el.textContent !== text) el.textContent = text;
    }
  };
  setInterval(tick, 500);
})();
