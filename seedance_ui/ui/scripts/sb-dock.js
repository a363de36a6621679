// The storyboard's dock (gr.HTML js_on_load): the board's total, as the summary above the shots shows it
// (#sb-summary, drawn by the server), repeated beside "Generate all" so the price is in view with the
// button. Built as text nodes: nothing of the summary is parsed as HTML here.
const drawDockTotal = () => {
  const summary = document.querySelector('#sb-summary .sb-summary');
  const cost = summary && summary.querySelector('.sb-stat.is-cost');
  if (!cost) {
    element.replaceChildren();
    return;
  }
  const shots = Number(summary.dataset.shots || 0);
  const box = document.createElement('div');
  box.className = 'sb-dock-total';
  const num = document.createElement('span');
  num.className = 'sb-dock-num';
  num.textContent = cost.querySelector('.sb-stat-num')?.textContent || '';
  const label = document.createElement('span');
  label.className = 'sb-dock-lab';
  const said = cost.querySelector('.sb-stat-lab')?.textContent || '';
  label.textContent = `${said} · ${shots} shot${shots === 1 ? '' : 's'}`;
  box.append(num, label);
  element.replaceChildren(box);
};
const followSummary = () => {
  const target = document.getElementById('sb-summary');
  if (!target) {
    setTimeout(followSummary, 300);
    return;
  }
  new MutationObserver(drawDockTotal).observe(target, {childList: true, subtree: true, characterData: true, attributes: true});
  drawDockTotal();
};
followSummary();
