"""The Storyboard tab, as panels: `tab.build_storyboard_tab` makes the page (`page.Page`) and hands it, with
the runtime and the board session, to each panel, which places its components and wires their events side
by side. No module here imports the one that uses it."""
