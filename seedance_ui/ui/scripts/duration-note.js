// The duration's note (gr.HTML js_on_load, right under the slider): the slider keeps a typed number within
// its range without a word (16 becomes 15); this says so next to it ("15 s is the longest a shot can be"),
// and clears once a number within the range is typed or the slider is moved.
const noteDuration = (box) => {
  const typed = Number(box.value);
  const min = Number(box.min), max = Number(box.max);
  let said = '';
  if (box.value !== '' && Number.isFinite(typed) && typed > max) {
    said = `${max} s is the longest a shot can be — set to ${max} s.`;
  } else if (box.value !== '' && Number.isFinite(typed) && typed < min) {
    said = `${min} s is the shortest a shot can be — set to ${min} s.`;
  }
  const note = element.querySelector('.sd-duration-note') || document.createElement('div');
  note.className = 'sd-duration-note';
  note.setAttribute('role', 'status');
  note.textContent = said;
  if (!note.parentNode) element.append(note);
};
const followDuration = () => {
  const slider = document.getElementById(element.closest('[data-for]')?.dataset.for || 'sd-duration');
  const box = slider && slider.querySelector('input[type="number"]');
  if (!box) {
    setTimeout(followDuration, 300);
    return;
  }
  box.addEventListener('input', () => noteDuration(box), true);
  box.addEventListener('keydown', (e) => { if (e.key === 'Enter') noteDuration(box); }, true);
  const range = slider.querySelector('input[type="range"]');
  if (range) range.addEventListener('input', () => noteDuration(range));
};
followDuration();
