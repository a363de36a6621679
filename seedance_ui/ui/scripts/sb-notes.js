// The selected shot's review notes (gr.HTML js_on_load): a note's time seeks the take's player there
// (and plays it); Resolve / Reopen send {action, note}.
element.addEventListener('click', (e) => {
  const seek = e.target.closest('[data-seek]');
  if (seek && element.contains(seek)) {
    e.preventDefault();
    const video = element.querySelector('video.sb-review-video');
    if (!video) return;
    const at = Number(seek.dataset.seek) || 0;
    const go = () => { try { video.currentTime = at; } catch (err) {} };
    if (video.readyState >= 1) go(); else video.addEventListener('loadedmetadata', go, {once: true});
    video.focus({preventScroll: true});
    return;
  }
  const el = e.target.closest('[data-action]');
  if (!el || !element.contains(el)) return;
  e.preventDefault();
  trigger('click', {action: el.dataset.action || '', note: el.dataset.note || ''});
});
