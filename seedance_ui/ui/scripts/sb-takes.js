// The takes strip (gr.HTML js_on_load): a click on a [data-action] element sends {action, shot, take}.
element.addEventListener('click', (e) => {
  const el = e.target.closest('[data-action]');
  if (!el || !element.contains(el)) return;
  e.preventDefault();
  const d = el.dataset;
  trigger('click', {action: d.action || '', shot: d.shot || '', take: d.take || ''});
});
