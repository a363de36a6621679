"""The Studio tab, as panels: `tab.Studio` makes the page (`page.StudioPage`) and hands it, with the runtime,
to each panel (`key`, `create` with `media`, `preview`, `history`, `api`), which places its components and
wires their events side by side. No module here imports the one that uses it."""
