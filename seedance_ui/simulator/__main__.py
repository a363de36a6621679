"""`python -m seedance_ui.simulator --port 8000 --speed 10`: serve until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from seedance_ui.simulator.server import Simulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m seedance_ui.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--speed", type=float, default=10.0, help="simulated seconds per real second")
    parser.add_argument("--api-key", default=None, help="accept only this key (default: any non-empty key)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--duration-factor", type=float, nargs=2, default=(1.0, 1.0), metavar=("LO", "HI"))
    parser.add_argument("--video-cache-dir", type=Path, default=None)
    parser.add_argument("--public-base-url", default=None, help="base of video URLs if not the bound address")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sim = Simulator(
        host=args.host,
        port=args.port,
        speed=args.speed,
        api_key=args.api_key,
        seed=args.seed,
        duration_factor=tuple(args.duration_factor),
        video_cache_dir=args.video_cache_dir,
        public_base_url=args.public_base_url,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with sim:
        print(f"Seedance simulator (API + file API) on {sim.base_url} (speed x{args.speed:g}); Ctrl-C stops")
        sys.stdout.flush()
        try:
            while not done.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
    print("Seedance simulator stopped", flush=True)


if __name__ == "__main__":
    main()
