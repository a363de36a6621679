// An unsent Studio prompt survives a reload: what is typed into the prompt is kept in this browser
// (localStorage, the prompt's text only: never a key or anything else), and a reloaded page whose prompt
// is still empty once its load has answered gets it back, told to Gradio as typing would. Emptying the
// box forgets it; text the page writes there is kept as well. (A storyboard shot's prompt needs none of
// this: it is saved as it is typed.)
(() => {
  if (window.__sdPromptDraft) return;
  window.__sdPromptDraft = true;
  const KEY = 'seedance-studio:prompt-draft';
  const BOX = '#sd-prompt textarea';
  const keep = (text) => {
    try {
      if (text) localStorage.setItem(KEY, text);
      else localStorage.removeItem(KEY);
    } catch (_) { /* storage off (private mode): nothing kept */ }
  };
  document.addEventListener('input', (e) => {
    if (e.target && e.target.matches && e.target.matches(BOX)) keep(e.target.value);
  }, true);
  const restore = (tries) => {
    const box = document.querySelector(BOX);
    if (!box || !document.body.hasAttribute('data-sd-loaded')) {
      if (tries > 0) setTimeout(() => restore(tries - 1), 200);
      return;
    }
    let draft = null;
    try { draft = localStorage.getItem(KEY); } catch (_) { return; }
    if (draft && !box.value) {
      box.value = draft;
      box.dispatchEvent(new Event('input', {bubbles: true}));
    }
  };
  restore(150);
  // What the page itself writes into the box (craft chips, Straighten quotes, Reuse settings, an accepted
  // suggestion) fires no input event: the box is compared once a second so the draft follows it too.
  let last = null;
  setInterval(() => {
    const box = document.querySelector(BOX);
    if (!box || !document.body.hasAttribute('data-sd-loaded') || box.value === last) return;
    if (last !== null) keep(box.value);
    last = box.value;
  }, 1000);
})();
