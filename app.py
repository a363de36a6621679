"""Seedance Studio — the Hugging Face Spaces entry point (and `python app.py` / `make run`).

`demo` is the Gradio Blocks app, built at import time. With no EVOLINK_API_KEY the studio runs in demo
mode against a built-in simulator. Run as a script, it listens on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT
and may serve files from the data directory only.
"""

from __future__ import annotations

import logging
import signal

from seedance_ui.ui.server import create_app, launch_kwargs

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

demo, runtime = create_app()


def _stop(signum: int, frame: object) -> None:
    """SIGTERM (docker stop, Spaces restarts) shuts down like Ctrl-C: the server, then the jobs."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    try:
        demo.launch(**launch_kwargs(runtime))
    finally:
        runtime.close()
