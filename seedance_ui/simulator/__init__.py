"""A loopback simulator of the Seedance 2.0 text-to-video API, for tests and the demo mode.

Imports nothing of ours except the leaf modules `seedance_ui.options` and `seedance_ui.textdraw`.
Run it alone with `python -m seedance_ui.simulator --port 8000 --speed 10`.
"""

from seedance_ui.simulator.render import LABEL, VideoSpec, render_video
from seedance_ui.simulator.server import LoggedRequest, Simulator, default_video_cache_dir

__all__ = ["LABEL", "LoggedRequest", "Simulator", "VideoSpec", "default_video_cache_dir", "render_video"]
