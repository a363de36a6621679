"""`python -m bench` (`make bench`): run every benchmark and write BENCHMARKS.md.

`--quick` runs each at a tiny scale (the smoke test); `--only` / `--skip` pick sections; every child
process the bench starts is stopped before it exits, whatever happens.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import machine, report, sections
from bench.common import ROOT, Section, cpu_seconds, machine_busy_seconds, stop_all_children

SECTIONS = ("detection", "playable", "browser", "capacity", "coldstart", "media", "inputs", "flood",
            "storyboard", "abuse", "review", "crafting", "replicas")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny scale (smoke test); numbers meaningless")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--only", default="", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out")
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary work folder")
    parser.add_argument("--app-root", type=Path, default=None,
                        help="the flood section runs the studio of this checkout (e.g. a worktree of an "
                             "older commit, for a before/after comparison); default: this one")
    args = parser.parse_args(argv)
    if args.app_root is not None and not (args.app_root / "app.py").is_file():
        parser.error(f"--app-root {args.app_root}: no app.py there")
    for name in filter(None, (args.only + "," + args.skip).split(",")):
        if name not in SECTIONS:
            parser.error(f"unknown section {name!r}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = sections.QUICK if args.quick else sections.FULL
    only = set(filter(None, args.only.split(","))) or set(SECTIONS)
    chosen = [name for name in SECTIONS if name in only and name not in set(args.skip.split(","))]
    started = time.perf_counter()
    busy0, ours0 = machine_busy_seconds(), cpu_seconds(os.getpid())  # ours: with every reaped child
    work = Path(tempfile.mkdtemp(prefix="seedance-bench-"))
    # SIGTERM (e.g. a CI timeout) ends the run through the finally below, children included.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    runners: dict[str, Callable[[], Section]] = {
        "detection": lambda: sections.detection(scale, work / "detection", args.seed),
        "playable": lambda: sections.playable(scale, work / "playable", args.seed + 100),
        "browser": lambda: sections.in_browser(scale, work / "browser", args.seed + 200),
        "capacity": lambda: sections.capacity_section(scale, work / "capacity", args.seed + 300),
        "coldstart": lambda: sections.cold_start(scale, work / "coldstart"),
        "media": lambda: sections.media(scale, work / "media"),
        "inputs": lambda: sections.inputs_section(scale, work / "inputs"),
        "flood": lambda: sections.flood_section(scale, work / "flood", args.app_root),
        "storyboard": lambda: sections.storyboard_section(scale, work / "storyboard", args.seed + 400),
        "abuse": lambda: sections.abuse_section(scale, work / "abuse"),
        "review": lambda: sections.review_section(scale, work / "review"),
        "crafting": lambda: sections.crafting_section(scale, work / "crafting"),
        "replicas": lambda: sections.replicas_section(scale, work / "replicas", args.seed + 500),
    }
    results: list[Section] = []
    try:
        description = machine.describe()
        for name in chosen:
            log(f"{name} ...")
            t0 = time.perf_counter()
            try:
                section = runners[name]()
            except Exception:
                section = Section(name.capitalize(), error=traceback.format_exc())
                log(f"{name} FAILED:\n{section.error}")
            finally:
                stop_all_children()
            section.seconds = time.perf_counter() - t0
            results.append(section)
            for row in section.rows:
                log(f"  {row.status:4}  {row.metric}: {row.result}")
            log(f"{name} done in {section.seconds:.0f} s")
        stop_all_children()
        wall = time.perf_counter() - started
        others = (machine_busy_seconds() - busy0 - (cpu_seconds(os.getpid()) - ours0)) / wall
        description["Other processes' CPU during the run"] = (
            f"{max(0.0, others):.2f} cores on average (all CPU time on the machine minus the bench's and "
            "its children's)")
        command = "python -m bench" + (" --quick" if args.quick else "")
        text = report.render(results, description, wall=wall, command=command, quick=args.quick)
        args.out.write_text(text, encoding="utf-8")
        log(f"wrote {args.out} ({wall:.0f} s)")
    finally:
        stop_all_children()
        if args.keep_work:
            log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if any(sec.error for sec in results) else 0


if __name__ == "__main__":
    sys.exit(main())
