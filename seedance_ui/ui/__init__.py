"""The Gradio user interface: `build_demo(runtime)` in layout.py; launch settings in server.py."""
