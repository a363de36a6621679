// Storyboard tiles (gr.HTML js_on_load): a click, Enter or Space on a [data-action] element writes
// "action|shot|n" into the hidden pick box (#sb-tile-pick), whose change event the server answers
// (ui/storyboard/shots.py); "Edit and retry" (and a selection on a narrow screen) then brings the shot
// editor into view, and a retry puts the cursor in its prompt. The pick box's event runs once at a time
// per page and, when clicks come while it runs, once more with the box's latest value (trigger mode
// "always_last"): a quick second click is never lost, and the page ends on the last one. A repeat of
// the same action within REPEAT_MS (a double click) is sent once.
const REPEAT_MS = 400;
let last = {key: '', at: 0}, count = 0;
const fire = (el) => {
  const data = {action: el.dataset.action || '', shot: el.dataset.shot || ''};
  const key = `${data.action}|${data.shot}`, now = Date.now();
  if (key === last.key && now - last.at < REPEAT_MS) return;
  last = {key, at: now};
  const pick = document.querySelector('#sb-tile-pick textarea, #sb-tile-pick input');
  if (!pick) return;
  count += 1;  // the same action twice in a row still changes the box's value
  pick.value = `${key}|${count}`;
  pick.dispatchEvent(new Event('input', {bubbles: true}));
  if (data.action === 'retry' || (data.action === 'select' && window.innerWidth < 900)) {
    setTimeout(() => {
      const panel = document.getElementById('sb-editor-panel');
      if (panel) panel.scrollIntoView({behavior: 'smooth', block: 'start'});
      if (data.action === 'retry') {
        const box = document.querySelector('#sb-shot-prompt textarea');
        if (box) box.focus({preventScroll: true});
      }
    }, 450);
  }
};
element.addEventListener('click', (e) => {
  const el = e.target.closest('[data-action]');
  if (!el || !element.contains(el)) return;
  e.preventDefault();
  e.stopPropagation();
  fire(el);
});
element.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  const el = e.target.closest('[data-action]');
  if (!el || el.tagName === 'BUTTON' || !element.contains(el)) return;
  e.preventDefault();
  fire(el);
});
