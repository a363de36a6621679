// Loaded into the page's <head> by seedance_ui/ui/theme.py (HEAD), before Gradio renders anything.
//
// Gradio draws an empty component (the history gallery before the first shot) as
// <div class="empty" aria-label="Empty value"> with no role. ARIA forbids a name on such a generic div
// (axe-core: aria-prohibited-attr) and screen readers do not announce it; what they read is the
// placeholder's own text (for the history: "No shots yet ..."). So the label is dropped from each such
// placeholder as it appears, and the text stays what a screen reader meets.
(() => {
  const UNNAMEABLE = "div.empty[aria-label]:not([role])";
  const unlabel = (node) => {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.matches(UNNAMEABLE)) node.removeAttribute("aria-label");
    for (const el of node.querySelectorAll(UNNAMEABLE)) el.removeAttribute("aria-label");
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "attributes") unlabel(record.target);
      else record.addedNodes.forEach(unlabel);
    }
  }).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label", "role"],
  });
})();
