"""The Gradio user interface: `build_demo(runtime)` in layout.py, made of the Studio tab's panels (studio/)
and the Storyboard tab's (storyboard/); launch settings in server.py."""
