"""A loopback simulator of the Seedance 2.0 API (text, frames, references) and its file API, for tests
and the demo mode. The file API shares the address: point both EVOLINK_BASE_URL and EVOLINK_FILES_URL
at it.

Imports nothing of ours except the leaf modules `seedance_ui.options`, `seedance_ui.textdraw`,
`seedance_ui.addresses` and `seedance_ui.prompt_craft` (the craft vocabulary its chat answers use).
Run it alone with `python -m seedance_ui.simulator --port 8000 --speed 10`.
"""

from seedance_ui.simulator.render import LABEL, VideoSpec, render_video
from seedance_ui.simulator.server import LoggedRequest, Simulator, default_video_cache_dir

__all__ = ["LABEL", "LoggedRequest", "Simulator", "VideoSpec", "default_video_cache_dir", "render_video"]
