"""Seedance Studio — the Hugging Face Spaces entry point (and `python app.py` / `make run`).

`demo` is the Gradio Blocks app, built at import time. With no EVOLINK_API_KEY the studio runs in demo
mode against a built-in simulator. Run as a script, it listens on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT
and may serve files from the data directory only.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from seedance_ui.ui.server import create_app, launch_kwargs

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

demo, runtime = create_app()
# Everything built so far (Gradio, the page, the runtime) lives as long as the process: out of the
# collector's reach, it no longer lengthens every full collection under load (see BENCHMARKS.md).
gc.freeze()


# Seconds the web server waits for open responses when stopping. Progress streams (an open tab, an API
# caller waiting) never end on their own; without a cap Gradio waits 5 s for them before giving up.
SERVER_GRACE = 1.0
_GRACE_EXCEEDED = "timeout graceful shutdown exceeded"


class _QuietStreamsEnd(logging.Filter):
    """Ending the open progress streams at shutdown is expected: no ERROR lines or tracebacks for it
    (the jobs behind them are untouched and resume on the next start)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, asyncio.CancelledError) and _GRACE_EXCEEDED in str(exc):
            return False
        return _GRACE_EXCEEDED not in record.getMessage()


def _stop(signum: int, frame: object) -> None:
    """SIGTERM (docker stop, Spaces restarts) and Ctrl-C: stop the server, then the jobs (which stay on
    disk as they stand and resume on the next start), well within Docker's 10 s before SIGKILL."""
    server = getattr(demo, "server", None)
    if server is not None:
        server.config.timeout_graceful_shutdown = SERVER_GRACE
        logging.getLogger("uvicorn.error").addFilter(_QuietStreamsEnd())
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        demo.launch(**launch_kwargs(runtime))
    finally:
        runtime.close()
