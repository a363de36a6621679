// Compare (gr.HTML js_on_load): every <video data-sync> follows the one the reviewer plays, pauses,
// scrubs or speeds up. Propagated changes fire the same events on the followers; a short quiet window
// stops the echo. Play / pause / restart and per-take sound buttons act on all videos at once.
const vids = () => Array.from(element.querySelectorAll('video[data-sync]'));
watch('value', () => {  // a new comparison: bring it into view when it opens below the fold
  const box = element.querySelector('.sb-compare');
  if (!box) return;
  const top = box.getBoundingClientRect().top;
  if (top > window.innerHeight * 0.6 || top < 0) box.scrollIntoView({behavior: 'smooth', block: 'start'});
});
let quietUntil = 0;
const hush = () => { quietUntil = performance.now() + 250; };
const follow = (src, kind) => {
  if (performance.now() < quietUntil) return;
  hush();
  for (const v of vids()) {
    if (v === src) continue;
    if (Math.abs(v.currentTime - src.currentTime) > 0.04) {
      try { v.currentTime = src.currentTime; } catch (err) {}
    }
    if (kind === 'play' && v.paused) v.play().catch(() => {});
    if (kind === 'pause' && !v.paused) v.pause();
    if (kind === 'rate') v.playbackRate = src.playbackRate;
  }
};
const on = (type, kind) => element.addEventListener(type, (e) => {
  const v = e.target;
  if (v && v.matches && v.matches('video[data-sync]')) follow(v, kind);
}, true);
on('play', 'play'); on('pause', 'pause'); on('seeked', 'seek'); on('ratechange', 'rate');
element.addEventListener('click', (e) => {
  const cmd = e.target.closest('[data-sync-cmd]');
  if (cmd) {
    const vs = vids();
    hush();
    const what = cmd.dataset.syncCmd;
    const t = what === 'restart' ? 0 : (vs.length ? vs[0].currentTime : 0);
    vs.forEach((v) => {
      try { v.currentTime = t; } catch (err) {}
      if (what === 'pause') v.pause(); else v.play().catch(() => {});
    });
    return;
  }
  const sound = e.target.closest('[data-sound-take]');
  if (sound) {
    const i = Number(sound.dataset.soundTake);
    const wasOn = sound.classList.contains('is-on');
    vids().forEach((v, j) => { v.muted = wasOn || j !== i; });
    element.querySelectorAll('[data-sound-take]').forEach((b, j) => {
      b.classList.toggle('is-on', !wasOn && j === i);
    });
    return;
  }
  const el = e.target.closest('[data-action]');
  if (el && element.contains(el)) {
    e.preventDefault();
    const d = el.dataset;
    trigger('click', {action: d.action || '', shot: d.shot || '', take: d.take || ''});
  }
});
