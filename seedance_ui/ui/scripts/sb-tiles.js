// Storyboard tiles (gr.HTML js_on_load): a click, Enter or Space on a [data-action] element sends
// {action, shot, take} to the server; "Edit and retry" (and a selection on a narrow screen) then brings
// the shot editor into view, and a retry puts the cursor in its prompt. Every click is sent, numbered
// (`n`: the server draws only the last one's answer, ui/storyboard/clicks.py); a repeat of the same
// action within REPEAT_MS (a double click) is sent once.
const REPEAT_MS = 400;
let last = {key: '', at: 0}, count = 0;
const fire = (el) => {
  const data = {action: el.dataset.action || '', shot: el.dataset.shot || '', take: el.dataset.take || ''};
  const key = `${data.action}|${data.shot}|${data.take}`, now = Date.now();
  if (key === last.key && now - last.at < REPEAT_MS) return;
  last = {key, at: now};
  count += 1;
  trigger('click', {...data, n: count});
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
