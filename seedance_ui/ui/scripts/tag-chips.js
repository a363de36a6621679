// Tag chips: a click puts the chip's tag into a prompt where its cursor was, with a space either side as
// needed, and tells Gradio the prompt changed. The Studio's reference chips (mode_views.chips_html, @image2
// ...) write into the Studio prompt; the storyboard's cast chips (@[name]) into the selected shot's prompt
// (their data-target).
(() => {
  if (window.__sdTagChips) return;
  window.__sdTagChips = true;
  // A cast entry without a picture yet: "Add picture" puts its name in the cast panel's Name box (Add to
  // cast then gives that entry the picture) and moves to the picture input.
  document.addEventListener('click', (e) => {
    const add = e.target.closest && e.target.closest('.sb-cast-add-picture[data-name]');
    if (!add) return;
    const name = document.querySelector('#sb-cast-name input, #sb-cast-name textarea');
    if (!name) return;
    e.preventDefault();
    name.value = add.dataset.name;
    name.dispatchEvent(new Event('input', {bubbles: true}));
    const picture = document.querySelector('#sb-cast-image');
    if (picture) picture.scrollIntoView({block: 'center'});
    (picture && picture.querySelector('button, input, [tabindex]') || name).focus();
  });
  document.addEventListener('click', (e) => {
    const chip = e.target.closest && e.target.closest('.sd-tag-chip[data-tag], .sb-cast-chip[data-tag]');
    if (!chip) return;
    const box = document.querySelector(chip.dataset.target || '#sd-prompt textarea');
    if (!box || box.offsetParent === null) return;  // no prompt shown (no shot selected)
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
