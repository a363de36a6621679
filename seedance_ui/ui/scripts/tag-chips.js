// Reference tag chips (mode_views.chips_html): a click puts the chip's tag (@image2 ...) into the
// prompt where its cursor was, with a space either side as needed, and tells Gradio the prompt changed.
(() => {
  if (window.__sdTagChips) return;
  window.__sdTagChips = true;
  document.addEventListener('click', (e) => {
    const chip = e.target.closest && e.target.closest('.sd-tag-chip[data-tag]');
    if (!chip) return;
    const box = document.querySelector('#sd-prompt textarea');
    if (!box) return;
    e.preventDefault();
    const tag = chip.dataset.tag;
    const text = box.value;
    const start = box.selectionStart ?? text.length;
    const end = box.selectionEnd ?? start;
    const before = text.slice(0, start);
    const after = text.slice(end);
    const lead = before && !/\s$/.test(before) ? ' ' : '';
    const trail = !after || !/^\s/.test(after) ? ' ' : '';
    box.value = before + lead + tag + trail + after;
    const caret = (before + lead + tag + trail).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event('input', {bubbles: true}));
  });
})();
