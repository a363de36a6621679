// The history's captions (gr.HTML js_on_load, on the pager under the gallery): the page shows two lines of a
// caption; this puts the whole caption in its thumbnail's title (and so in a hover tip), each time Gradio
// redraws the gallery.
const titleThumbnails = (gallery) => {
  for (const item of gallery.querySelectorAll('.thumbnail-item')) {
    const caption = item.querySelector('.caption-label');
    const text = caption ? caption.textContent.trim() : '';
    if (text && item.getAttribute('title') !== text) item.setAttribute('title', text);
  }
};
const followGallery = () => {
  const gallery = document.getElementById('sd-history');
  if (!gallery) {
    setTimeout(followGallery, 300);
    return;
  }
  titleThumbnails(gallery);
  if (gallery.dataset.sdTitled) return;  // one observer, however often this runs
  gallery.dataset.sdTitled = 'true';
  new MutationObserver(() => titleThumbnails(gallery)).observe(gallery, {
    childList: true, subtree: true, characterData: true,
  });
};
followGallery();
