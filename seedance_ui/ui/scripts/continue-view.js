// After "Continue this shot" (the history's detail or beside the fresh result; an event's js): bring the
// create panel into view with its new first frame showing. The mode switches to Frames and the zone takes
// the picture a moment after the answer, so it waits (a few seconds at most) for the zone to show a
// picture, then scrolls it to the middle of the screen, clear of the docked Generate bar.
() => {
  const started = Date.now();
  const show = () => {
    const zone = document.querySelector('#sd-first-frame');
    const picture = zone && zone.querySelector('img');
    if (zone && picture && zone.offsetParent !== null && picture.complete) {
      zone.scrollIntoView({block: 'center', behavior: 'instant'});
      return;
    }
    if (Date.now() - started < 8000) setTimeout(show, 100);
  };
  show();
}
