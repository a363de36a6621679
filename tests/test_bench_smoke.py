"""The bench harness at a tiny scale, so `make bench` cannot rot unnoticed (well under 20 s).

The in-process benchmarks (polling race against the naive client, completion to playable, media) run
for real through `python -m bench --quick`; the sections that start the studio, Chromium or a probe
process are covered by `make bench` itself, and here by importing them and by the report renderer. The
flood section's inputs are checked against the studio's own edge limits, and its sample windows and
report text without starting anything; so are the abuse section's attack files and its verdicts.
"""

from __future__ import annotations

import importlib
import io
import json
import math
import os
import struct
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from bench import (
    abuse,
    board_edits,
    capacity,
    flood,
    inputs_bench,
    pgcluster,
    replicas,
    replicas_report,
    review_bench,
    review_page,
    sections,
    storyboard_chain,
    takeover,
)
from bench.__main__ import parse_args
from bench.common import Row, Section, percentile
from bench.report import render
from seedance_ui.config import load_settings
from seedance_ui.security.edge import MAX_REQUEST_BYTES, instant_request_bytes
from seedance_ui.storyboard.jsonio import loads_board

ROOT = Path(__file__).resolve().parent.parent


def test_quick_bench_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "detection,playable,media", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks")
    assert "Smoke-test scale" in text
    assert "| Metric | Target | Result | Status |" in text
    for metric in ("GET requests per task, 60 s tasks", "Detection delay p95, 60 s tasks",
                   "Completion -> video + poster on disk", "Poster, 2 s 1280x720 24 fps (placeholder)"):
        assert metric in text
    assert "## Machine" in text and "CPython" in text and "Gradio" in text
    assert "ERROR" not in text and "Did not run" not in text


def test_report_counts_targets_and_shows_misses_and_errors() -> None:
    ok = Section("A", rows=[Row("fast", "< 1 s", "0.5 s", "PASS"), Row("info", "(no target)", "3", "INFO")])
    bad = Section("B", rows=[Row("slow", "< 1 s", "2 s", "MISS")], notes=["because it is slow"])
    broken = Section("C", error="Traceback ...\nRuntimeError: boom")
    text = render([ok, bad, broken], {"CPU": "test"}, wall=65, command="python -m bench", quick=False)
    assert "**1 of 2 targets met.** Missed: slow" in text
    assert "| slow | < 1 s | 2 s | **MISS** |" in text
    assert "- **B.** because it is slow" in text
    assert "RuntimeError: boom" in text and "| ERROR |" in text
    assert "1 min 05 s" in text


def test_percentile_interpolates() -> None:
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([0, 10], 95) == pytest.approx(9.5)
    assert math.isnan(percentile([], 50))


@pytest.mark.parametrize("module", ["bench.browser", "bench.capacity", "bench.coldstart", "bench.probe",
                                    "bench.gradio_api", "bench.studio", "bench.naive", "bench.machine",
                                    "bench.flood", "bench.inputs_bench",
                                    "bench.storyboard_chain", "bench.abuse", "bench.review_bench",
                                    "bench.review_page", "bench.review_board", "bench.review_probe",
                                    "bench.crafting", "bench.replicas", "bench.takeover", "bench.pgcluster"])
def test_every_bench_module_imports(module: str) -> None:
    importlib.import_module(module)


def test_flood_sends_the_longest_accepted_prompt_and_one_only_the_edge_refuses() -> None:
    max_chars = load_settings({}, dotenv_path=None).max_prompt_chars
    longest, oversized = flood.flood_bodies(max_chars, fn_index=7)
    said, _, prompt = json.loads(longest)["data"][0].partition(":")  # the page's probe: "<length>:<prompt>"
    assert said == str(max_chars)
    assert len(prompt) == max_chars and len(prompt.encode()) == 3 * max_chars  # accepted, at its widest
    assert json.loads(longest)["fn_index"] == 7
    assert len(longest) <= instant_request_bytes(max_chars)  # passes the unqueued events' body cap
    assert len(oversized) == flood.OVERSIZED_BYTES  # the red team's body, byte for byte
    assert instant_request_bytes(max_chars) < len(oversized) < MAX_REQUEST_BYTES  # only the new cap stops it


def test_flood_tells_a_lint_answer_from_a_refusal() -> None:
    counter = json.dumps({"data": ['<div class="sd-counter">']}).encode()
    notice = json.dumps({"data": ['<div class="sd-notice">']}).encode()
    assert flood.answer_kind(httpx.Response(200, content=counter)) == flood.LINTED
    assert flood.answer_kind(httpx.Response(200, content=notice)) == "200"  # e.g. the handler's own refusal
    assert flood.answer_kind(httpx.Response(413, content=counter)) == "413"


def _flood_result() -> flood.FloodResult:
    return flood.FloodResult(clients=30, oversized=10, app="this checkout", max_prompt_chars=10_000,
                             long_body_bytes=30_100, oversized_body_bytes=1_900_000, visitors=5, period=0.2)


def test_flood_splits_probe_samples_into_idle_and_flood_windows() -> None:
    result = _flood_result()
    windows = [{"idle": 100.0, "start": 110.0, "end": 140.0, "drained": 141.0},
               {"idle": 143.0, "start": 148.0, "end": 158.0, "drained": 160.0}]
    probe = {"samples": [[99.0, 9.0, False], [100.0, 0.01, True], [109.9, 0.02, True], [110.0, 0.5, False],
                         [139.9, 0.3, True], [140.0, 7.0, False], [142.0, 3.0, True], [145.0, 0.03, True],
                         [150.0, 0.4, True], [158.0, 2.0, True]],
             "health": [[105.0, 0.004, True], [120.0, 0.04, True]]}
    flood.split(result, probe, windows)
    assert result.idle == [0.01, 0.02, 0.03] and result.flood == [0.5, 0.3, 0.4]
    assert result.health_idle == [0.004] and result.health_flood == [0.04]
    assert result.probe_errors == 1  # the warm-up's and the drain's failures are outside every window
    assert result.ratio("cost", 50) == pytest.approx(0.4 / 0.02)


def test_flood_section_reports_ratios_and_the_edge_refusals() -> None:
    result = _flood_result()
    result.idle, result.flood = [0.01] * 10, [0.02] * 10
    result.health_idle, result.health_flood = [0.005] * 10, [0.5] * 10
    result.long_answers, result.oversized_answers = {flood.LINTED: 90}, {"413": 39, flood.CLOSED: 1}
    result.flood_seconds = 30.0
    detail = sections._flood_detail(result)
    assert "| cost event | flood | 10 | 20 ms | 20 ms | 20 ms | 2.0x |" in detail
    assert "| /healthz | flood | 10 | 500 ms | 500 ms | 500 ms | 100.0x |" in detail
    assert "| 1.9 MB prompt: 413 | 39 |" in detail
    method = sections._flood_method(result, sections.FULL)
    assert "30 clients" in method and "10,000 CJK" in method and "10x" in method


@pytest.mark.parametrize(("idle", "under", "status"), [
    (0.020, 0.100, "PASS"),  # 5x idle, under 250 ms
    (0.010, 0.120, "MISS"),  # under 250 ms but 12x idle
    (0.100, 0.300, "MISS"),  # 3x idle but over 250 ms
])
def test_flood_section_judges_the_p99_and_its_ratio_to_idle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            idle: float, under: float, status: str) -> None:
    result = _flood_result()
    result.idle = result.health_idle = [idle / 2] * 50 + [idle] * 50  # p99 = idle
    result.flood = result.health_flood = [under / 2] * 50 + [under] * 50
    result.long_answers, result.oversized_answers = {flood.LINTED: 90}, {"413": 40}
    result.flood_seconds = 30.0
    monkeypatch.setattr(flood, "run", lambda **_kw: result)
    sec = sections.flood_section(sections.QUICK, tmp_path)
    assert [row.status for row in sec.rows] == [status, status, "PASS", "INFO"]
    assert sec.rows[0].target == "< 250 ms and < 10x idle p99"
    assert bool(sec.notes) == (status == "MISS")
    text = render([sec], {"CPU": "test"}, wall=60, command="python -m bench", quick=True)
    assert "| 40 / 40 | 40 / 40 | PASS |" in text


def test_flood_section_misses_when_one_oversized_prompt_reached_the_lint(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    result = _flood_result()
    result.idle = result.flood = result.health_idle = result.health_flood = [0.01]
    result.long_answers, result.oversized_answers = {flood.LINTED: 90}, {"413": 39, flood.LINTED: 1}
    result.flood_seconds = 30.0
    monkeypatch.setattr(flood, "run", lambda **_kw: result)
    row = sections.flood_section(sections.QUICK, tmp_path).rows[2]
    assert (row.target, row.result, row.status) == ("40 / 40", "39 / 40", "MISS")


def test_app_root_must_hold_an_app(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--only", "flood", "--app-root", str(tmp_path)])
    (tmp_path / "app.py").write_text("")
    assert parse_args(["--only", "flood", "--app-root", str(tmp_path)]).app_root == tmp_path


def _timings(check: float, last_frame: float) -> list[inputs_bench.Timing]:
    timing, check_kind, last_kind = inputs_bench.Timing, inputs_bench.CHECK, inputs_bench.LAST_FRAME
    return [timing("check, picture 6000x4000", check_kind, [check] * 3, [0.5] * 3),
            timing("last frame, placeholder", last_kind, [last_frame] * 3, [0.1] * 3),
            timing("last frame, one keyframe", last_kind, [9.0], [0.1], judged=False)]


def test_inputs_section_passes_exact_uploads_and_fast_checks() -> None:
    uploads = inputs_bench.UploadResult(jobs=100, pictures=5, uploads=5, creates=100, completed=100,
                                        seconds=9.0)
    sec = sections.inputs_judged(uploads, _timings(check=0.120, last_frame=0.140))
    assert [row.status for row in sec.rows] == ["PASS", "PASS", "PASS", "INFO"]
    assert [row.target for row in sec.rows[1:]] == ["< 300 ms", "< 150 ms", "(no target)"]
    assert sec.rows[1].result == "120 ms (0.24x a decode)" and not sec.notes
    assert "| last frame, placeholder | 140 ms | 100 ms | 1.40x | 3 |" in sec.detail
    text = render([sec], {"CPU": "test"}, wall=60, command="python -m bench", quick=True)
    assert "**3 of 3 targets met.**" in text


@pytest.mark.parametrize(("made", "completed", "check", "last_frame", "statuses"), [
    (6, 100, 0.120, 0.140, ["MISS", "PASS", "PASS", "INFO"]),  # one picture uploaded twice
    (5, 99, 0.120, 0.140, ["MISS", "PASS", "PASS", "INFO"]),  # a job that did not complete
    (5, 100, 0.300, 0.150, ["PASS", "MISS", "MISS", "INFO"]),  # the limits themselves miss
])
def test_inputs_section_misses_extra_uploads_and_slow_checks(made: int, completed: int, check: float,
                                                             last_frame: float, statuses: list[str]) -> None:
    uploads = inputs_bench.UploadResult(jobs=100, pictures=5, uploads=made, creates=100, completed=completed,
                                        seconds=9.0)
    sec = sections.inputs_judged(uploads, _timings(check, last_frame))
    assert [row.status for row in sec.rows] == statuses
    assert len(sec.notes) == statuses.count("MISS")


@pytest.mark.parametrize(("cap12", "cap2", "failed", "statuses"), [
    (9.8, 19.5, 0, ["INFO", "PASS", "PASS"]),  # 1.09x of 3 tasks, 1.08x of 6 tasks
    (10.0, 19.5, 0, ["INFO", "MISS", "PASS"]),  # 1.11x the longest chain
    (9.0, 16.0, 0, ["INFO", "PASS", "PASS"]),
    (9.0, 20.0, 0, ["INFO", "PASS", "MISS"]),  # fine for the chain, 1.11x the 12 shots over 2
    (9.0, 18.0, 1, ["INFO", "MISS", "MISS"]),  # in time, but a shot without its video
])
def test_storyboard_section_judges_each_run_against_what_its_cap_allows(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cap12: float, cap2: float, failed: int,
        statuses: list[str]) -> None:
    asked: dict[str, object] = {}

    def run(**kw: object) -> storyboard_chain.ChainResult:
        asked.update(kw)
        runs = [storyboard_chain.BoardRun(f"cap {cap}", cap, wall, 12, failed)
                for cap, wall in ((12, cap12), (2, cap2))]
        return storyboard_chain.ChainResult(3.0, 3, 12, storyboard_chain.BoardRun("one", None, 45.0, 12, 0),
                                            runs)

    monkeypatch.setattr(storyboard_chain, "run", run)
    sec = sections.storyboard_section(sections.QUICK, tmp_path, seed=1)
    assert asked["caps"] == (12, load_settings({}, dotenv_path=None).max_jobs_per_owner) == (12, 2)
    assert [row.status for row in sec.rows] == statuses
    assert sec.rows[1].target == "<= 1.1x 9.00 s (3 task times)"
    assert sec.rows[2].target == "<= 1.1x 18.00 s (6 task times)"
    assert "15.0 task times" in sec.rows[0].result
    assert bool(sec.notes) == ("MISS" in statuses)


def test_storyboard_board_has_two_chains_of_three_and_six_free_shots() -> None:
    shape = storyboard_chain.board_shape()
    assert len(shape) == 12 and sum(shape) == 4
    assert shape[:6] == [False, True, True, False, True, True] and not any(shape[6:])


# --------------------------------------------------------------------------------------------------
# abuse (issue 20): the attack files, the measuring helpers and the verdicts, without a studio


def test_abuse_bomb_is_a_20_kb_png_of_13000_square_one_bit_pixels() -> None:
    data = abuse.bomb(13000, abuse.bomb_pixels(13000), "bomb 1")
    assert data.startswith(abuse.PNG_SIGNATURE) and len(data) < 25_000  # the 20,587 bytes
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])  # IHDR, read without decoding
    assert (width, height, depth, colour) == (13000, 13000, 1, 0)
    assert abuse.bomb(13000, abuse.bomb_pixels(13000), "bomb 2") != data  # distinct files, distinct hashes


def test_abuse_boards_are_studio_board_files(tmp_path: Path) -> None:
    side, pixels = abuse.noise_pixels(400_000, seed=1)
    picture = abuse.picture(side, pixels, "cast")
    with Image.open(io.BytesIO(picture)) as im:
        assert im.size == (side, side) and len(picture) > 400_000
    source = abuse.board_file("Source", [abuse.shot("a lighthouse at dusk", 15)], [picture])
    board = loads_board(json.dumps(source), owner="visitor")
    assert [s.duration for s in board.shots] == [15] and len(board.cast) == 1
    job = abuse.new_id()
    take = {"id": abuse.new_id(), "job_id": job, "created_at": 1.0, "params": {}}
    source["shots"][0].update(takes=[take], chosen_take=take["id"])
    attack = loads_board(json.dumps(abuse.many_shots_of_one_take({**source, "owner": "x"}, 30)), owner="a")
    assert len(attack.shots) == 30 and len({s.id for s in attack.shots}) == 30
    assert {s.chosen_take for s in attack.shots} == {t.id for s in attack.shots for t in s.takes}
    assert {t.job_id for s in attack.shots for t in s.takes} == {job}


def test_abuse_measures_rss_growth_and_disk_use(tmp_path: Path) -> None:
    watch = abuse.RssWatch(os.getpid())
    block = bytearray(96 * 2**20)  # zero pages cost no RSS until written
    for i in range(0, len(block), 4096):
        block[i] = 1
    before, peak, _now = watch.stop()
    del block
    assert (peak - before) / 1024 > 80
    (tmp_path / "a").write_bytes(os.urandom(3 * 2**20))
    assert abuse.disk_bytes(tmp_path) >= 3 * 2**20


def _abuse_result(*, refused: bool, rss_mb: float, disk_mb: float, victim: float, cheap: float,
                  creates: list[int], script_s: float = 0.04) -> abuse.AbuseResult:
    answer = "refused: cast image: each side must be 300-6000 px" if refused else "accepted"
    peak = 200_000 + int(rss_mb * 1024)
    # In the page, the refusal waits for the page's own round trip (1.15 s): shown, not judged.
    memory = [abuse.MemoryAttack(name, [answer] * n, [1.15] * n, 200_000, peak, 200_000, 20_646)
              for name, n in (("one bomb", 1), ("4 bombs at once", 4))]
    memory.append(abuse.MemoryAttack("bomb board", [answer], [0.5], 200_000, peak, 200_000, 1_100_000))
    protocol = [abuse.MemoryAttack(name, [answer] * n, [script_s] * n, 200_000, peak, 200_000, 20_646,
                                   via=via, upload_seconds=[0.01] * n, control_answer="accepted")
                for via in abuse.PICTURE_EVENTS for name, n in (("one bomb", 1), ("4 bombs at once", 4))]
    disk = [abuse.DiskAttack(name, 8, 80 * 2**20, 8, int(disk_mb * 2**20), quota, label)
            for name, quota, label in (("anonymous uploads", 200, "per-address upload quota"),
                                       ("one picture reused as inputs", 500, "per-visitor disk quota"),
                                       ("board imports", 500, "per-visitor disk quota"))]
    exports = abuse.ExportAttack(30, 15, [0.1] * 3, victim, [40.0, math.nan],
                                 ["done", "refused|one at a time"], [0.02] * 50, [cheap] * 50)
    return abuse.AbuseResult(memory, disk, exports, creates, 0.8, "156", protocol)


def test_abuse_section_passes_an_attack_that_is_refused_and_bounded() -> None:
    r = _abuse_result(refused=True, rss_mb=3, disk_mb=150, victim=0.4, cheap=0.05, creates=[1, 1, 1])
    sec = sections.abuse_judged(r, abuse.FULL)
    script = ["PASS", "PASS", "INFO"]  # one bomb, four at once, the plain picture: per event
    page = ["INFO", "INFO", "PASS", "INFO"]  # one bomb, four at once (the user's view), the board, plain
    assert [row.status for row in sec.rows] == [*script, *script, *page, *["PASS"] * 3, "INFO",
                                                *["PASS"] * 3]
    assert sec.rows[0].target == "refused in < 300 ms, RSS growth < 50 MB"
    assert "by script" in sec.rows[0].metric and "cast image event" in sec.rows[0].metric
    assert "first frame event" in sec.rows[3].metric and "40 ms from join to answer" in sec.rows[3].result
    assert "1150 ms from the press" in sec.rows[6].result
    assert sec.rows[10].target == "<= 200 MB (per-address upload quota)"
    assert sec.rows[-1].result == "1, 1, 1" and not sec.notes
    text = render([sec], {"CPU": "test"}, wall=60, command="python -m bench", quick=False)
    assert "**11 of 11 targets met.**" in text


@pytest.mark.parametrize(("change", "missed"), [
    ({"refused": False}, [0, 1, 2, 3, 4]),  # accepted bombs (4 by script, the board)
    ({"rss_mb": 700}, [0, 1, 2, 3, 4]),  # refused, but after decoding them
    ({"script_s": 0.4}, [0, 1, 2, 3]),  # refused, but too slowly at the server
    ({"disk_mb": 300}, [5]),  # over the upload quota (the other two are 500 MB)
    ({"victim": 115.0}, [8]),
    ({"cheap": 0.4}, [9]),
    ({"creates": [4, 1, 1]}, [10]),
])
def test_abuse_section_misses_each_attack_that_succeeds(change: dict[str, object], missed: list[int]) -> None:
    kwargs: dict[str, object] = {"refused": True, "rss_mb": 3, "disk_mb": 150, "victim": 0.4, "cheap": 0.05,
                                 "creates": [1, 1, 1]}
    sec = sections.abuse_judged(_abuse_result(**{**kwargs, **change}), abuse.FULL)  # type: ignore[arg-type]
    judged = [row for row in sec.rows if row.status != "INFO"]
    assert [i for i, row in enumerate(judged) if row.status == "MISS"] == missed
    assert sec.notes


def test_abuse_script_sends_the_picture_event_as_the_page_does() -> None:
    """The cast's event found in a real Blocks' config by its elem_ids, and its inputs filled as a
    fresh page fills them; answers read from the queue's process_completed messages."""
    import gradio as gr

    with gr.Blocks() as demo, gr.Tab("Storyboard") as tab:
        owner = gr.BrowserState(None)
        board, shot = gr.Textbox(elem_id="sb-board-id"), gr.Textbox(elem_id="sb-shot-id")
        title = gr.Textbox("Untitled", elem_id="sb-title")
        image = gr.Image(type="filepath", elem_id="sb-cast-image")
        name = gr.Textbox(elem_id="sb-cast-name")
        button = gr.Button("Add to cast", elem_id="sb-cast-add-btn")
        tab.select(lambda *a: None, [owner, board, shot], [board], api_name="on_open",
                   api_visibility="private")
        button.click(lambda *a: None, [owner, board, title, image, name], None, api_name="add_cast",
                     api_visibility="private")
    pe = abuse.picture_event(demo.get_config_file(), "cast image")
    config = {c["id"]: c for c in demo.get_config_file()["components"]}
    assert pe.event.trigger_id == button._id and config[pe.event.trigger_id]["props"]["elem_id"] == \
        "sb-cast-add-btn"
    assert pe.event.inputs == ("browserstate", "textbox", "textbox", "image", "textbox")
    assert pe.opener is not None and pe.opener.trigger_id == tab._id
    file = {"path": "/tmp/x.png", "meta": {"_type": "gradio.FileData"}}
    assert pe.data("a" * 32, file, "bomb 1", "b1") == ["a" * 32, "b1", "Untitled", file, "bomb 1"]
    refused = {"msg": "process_completed", "success": False, "output": {"error": "cast image: too big"}}
    assert abuse.event_answer(refused) == "refused: cast image: too big"
    notice = '<div class="sd-notice is-warning" role="status"><div>Cast: nine at most</div></div>'
    assert abuse.event_answer({"success": True, "output": {"data": [None, notice]}}) == \
        "refused: Cast: nine at most"
    ok = '<div class="sd-notice is-success" role="status">in the cast</div>'
    assert abuse.event_answer({"success": True, "output": {"data": [ok]}}) == "accepted"
    assert abuse.event_answer({"success": True, "output": {"data": ["<p>note</p>"]}}) == "answered"
    toast = "First frame: each side must be 300-6000 px"  # a gr.Warning, the zone cleared
    assert abuse.event_answer({"success": True, "output": {"data": ["<p>note</p>"]}}, [toast]) == \
        f"refused: {toast}"


# --------------------------------------------------------------------------------------------------
# review (issue 21): the animatic exported by copying the takes at the quick scale for real (the page's
# part starts the studio and Chromium: `make bench` runs it), and the verdicts on made-up numbers.


def test_review_animatic_runs_at_the_quick_scale(tmp_path: Path) -> None:
    q = sections.QUICK
    r = review_bench.run(work=tmp_path, shots=q.review_shots, quality=q.review_quality,
                         seconds=q.review_seconds, runs=q.review_runs, page=None)
    sec = sections.review_judged(r)
    assert [row.status for row in sec.rows] == ["PASS", "INFO"]
    assert "3 takes copied, 3 segments encoded" in sec.rows[0].result
    assert "| re-encoded | 1 |" in sec.detail
    assert q.review_page == review_page.QUICK and sections.FULL.review_page.reviewers == 20


def _export(label: str, seconds: float, remuxed: int) -> review_bench.ExportRun:
    return review_bench.ExportRun(label, [seconds], remuxed, 48 - remuxed, 156.0, 30 * 2**20)


def _page(usable: float = 0.8, cost: float = 0.04, poll: float = 0.02, failed: int = 0
          ) -> review_page.PageResult:
    def probe(latency: float) -> review_page.Probe:
        return review_page.Probe([0.01] * 50, [0.02] * 50, [0.01] * 95 + [latency] * 5,
                                 {"quiet": 0, "opening": 0, "open": failed})

    return review_page.PageResult(24, [usable] * 5, [usable - 0.05] * 5, 20, 20.0, 3.1, [10] * 20,
                                  probe(cost), probe(poll), "test")


@pytest.mark.parametrize(("seconds", "remuxed", "status"), [
    (2.2, 24, "PASS"),
    (5.5, 24, "MISS"),  # too slow
    (2.2, 23, "MISS"),  # fast, but a take was re-encoded
])
def test_review_section_judges_the_remuxed_export(seconds: float, remuxed: int, status: str) -> None:
    r = review_bench.ReviewResult(24, "720p", 5, _export("remuxed", seconds, remuxed),
                                  _export("re-encoded", 40.0, 0), _page())
    sec = sections.review_judged(r)
    assert [row.status for row in sec.rows] == ["PASS", "PASS", "PASS", status, "INFO"]
    assert sec.rows[3].target == "< 5 s" and bool(sec.notes) == (status == "MISS")
    text = render([sec], {"CPU": "test"}, wall=60, command="python -m bench", quick=False)
    assert "24-shot animatic (156 s, 720p), takes remuxed" in text


@pytest.mark.parametrize(("change", "missed"), [
    ({}, []),
    ({"usable": 2.4}, [0]),  # the page took too long
    ({"cost": 0.3}, [1]),  # the cost event's p99 with 20 pages open
    ({"poll": 0.3}, [2]),  # the review poll's p99
    ({"failed": 1}, [1, 2]),  # a failed call is no fast call
])
def test_review_section_judges_the_page(change: dict[str, float], missed: list[int]) -> None:
    r = review_bench.ReviewResult(24, "720p", 5, _export("remuxed", 2.0, 24), _export("re-encoded", 40.0, 0),
                                  _page(**change))  # type: ignore[arg-type]
    sec = sections.review_judged(r)
    page_rows = sec.rows[:3]
    assert [i for i, row in enumerate(page_rows) if row.status == "MISS"] == missed
    assert bool(sec.notes) == bool(missed)
    assert [row.target for row in page_rows] == ["< 2 s", "< 250 ms", "< 250 ms"]
    text = render([sec], {"CPU": "test"}, wall=60, command="python -m bench", quick=False)
    assert "| Review page usable, 24 shots (median of 5 fresh reviewers) | < 2 s |" in text
    assert "20 reviewers open: cost event p99" in text and "20 reviewers open: review poll p99" in text
    assert "| review poll | 20 reviewers open | 100 |" in text


def test_review_probe_samples_fall_into_their_windows() -> None:
    windows = {"quiet": 10.0, "opening": 20.0, "open": 30.0, "end": 40.0}
    samples = [[5.0, 9.0, True], [12.0, 0.1, True], [25.0, 0.2, False], [31.0, 0.3, True], [45.0, 9.0, False]]
    probe = review_page.split(samples, windows)
    assert (probe.quiet, probe.opening, probe.open) == ([0.1], [0.2], [0.3])
    assert probe.failed == {"quiet": 0, "opening": 1, "open": 0}


@pytest.mark.parametrize(("seconds", "status"), [(0.3, "PASS"), (1.4, "MISS")])
def test_review_section_judges_play_all_start(seconds: float, status: str) -> None:
    page = _page()
    page.play_all = [seconds] * 5
    r = review_bench.ReviewResult(24, "720p", 5, _export("remuxed", 2.2, 24), _export("re-encoded", 40.0, 0),
                                  page)
    row = next(row for row in sections.review_judged(r).rows if row.metric.startswith("Play all starts"))
    assert (row.target, row.status) == ("< 1 s", status)


# --------------------------------------------------------------------------------------------------
# replicas (issue 22): the statement counting on a real PostgreSQL, and the verdicts on made-up numbers
# (the section itself starts PostgreSQL and four studio processes: `make bench` runs it)


def test_replica_statements_are_counted_by_kind_from_the_servers_log(
        postgres_server: Any, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_ui.store.postgres import PostgresDatabase

    pgcluster.statement_log(postgres_url)
    window = pgcluster.LogWindow(pgcluster.log_path(postgres_server))
    window.start()
    monkeypatch.setenv("PGAPPNAME", "replica-x")  # as replicas.replica_env names a replica
    db = PostgresDatabase(postgres_url)
    try:
        db.changed_jobs(0.0)
        db.changed_jobs(1.0)
        db.renew_leases("holder", 1.0, 15.0)
        db.claim_jobs("holder", 1.0, 15.0, 10)
        db.poke_job("no-such-job", 1.0)  # BEGIN, UPDATE, COMMIT: three round trips
    finally:
        db.close()
    counts = window.stop()["replica-x"]
    assert (counts["change poll"], counts["lease renewal"], counts["lease scan"]) == (2, 1, 1)
    assert counts[pgcluster.OTHER] >= 3  # the poke's, and the store's own start (migrations, checks)


def test_statement_log_lines_are_read_with_their_continuations() -> None:
    log = ("@@replica-a@@ LOG:  execute <unnamed>: SELECT j.id, j.updated_at, l.poked_at FROM jobs j\n"
           "\tLEFT JOIN job_leases l ON l.job_id = j.id WHERE j.updated_at > $1\n"
           "@@replica-a@@ DETAIL:  parameters: $1 = '1.5'\n"
           "@@replica-b@@ LOG:  statement: BEGIN\n"
           "@@replica-b@@ LOG:  execute _pg3_1: \n\tUPDATE job_leases SET expires_at = $1 WHERE holder = $2\n"
           "@@@@ LOG:  checkpoint starting: time\n"
           "@@replica-b@@ LOG:  execute <unnamed>: WITH free AS (SELECT 1)\n")
    counts = pgcluster.count_statements(log)
    assert counts["replica-a"] == {"change poll": 1}
    assert counts["replica-b"] == {pgcluster.OTHER: 1, "lease renewal": 1, "lease scan": 1}
    assert "" not in counts  # the server's own messages are no statements


def _replicas_result(*, p99: float = 0.05, held: float = 18.0, creates: int = 3,
                     claimed: float = 0.003) -> replicas.ReplicasResult:
    loads = []
    for n in (1, 2):
        r = capacity.CapacityResult(6, 3, 60.0, 60, idle=[0.01] * 10, running=[p99 * n] * 100,
                                    completed=6, with_poster=6, statuses={"completed": 6})
        loads.append(replicas.LoadRun(n, r, [200_000] * n))
    counts = {takeover.A: Counter({"change poll": 5, "lease renewal": 2, "lease scan": 1, "other": 12}),
              takeover.B: Counter({"change poll": 5, "lease renewal": 2, "lease scan": 1})}
    follow = takeover.FollowResult(3, 40.0, 15.0, 5.0, 1.0,
                                   [takeover.Trial(3, held, 21.0, 25.0, 3, creates)],
                                   [takeover.Window("idle (no job)", 5.0, counts)])
    edits = board_edits.EditsResult(4, [claimed] * 4, [0.0015] * 4)  # seconds: with and without the claim
    return replicas.ReplicasResult(loads, follow, edits)


@pytest.mark.parametrize(("change", "statuses"), [
    ({}, ["PASS", "PASS", "INFO", "PASS", "PASS", "INFO", "PASS", "INFO", "PASS"]),
    ({"p99": 0.2}, ["PASS", "MISS", "INFO", "PASS", "PASS", "INFO", "PASS", "INFO", "PASS"]),  # 2 x 0.2 s
    ({"held": 31.0}, ["PASS", "PASS", "INFO", "PASS", "MISS", "INFO", "PASS", "INFO", "PASS"]),
    ({"creates": 4}, ["PASS", "PASS", "INFO", "PASS", "PASS", "INFO", "MISS", "INFO", "PASS"]),  # 2 creates
    ({"claimed": 0.006}, ["PASS", "PASS", "INFO", "PASS", "PASS", "INFO", "PASS", "INFO", "MISS"]),  # 4x
])
def test_replicas_section_judges_p99_takeover_and_creates(change: dict[str, float],
                                                          statuses: list[str]) -> None:
    sec = replicas_report.judged(_replicas_result(**change), sections.P99_TARGET)  # type: ignore[arg-type]
    assert [row.status for row in sec.rows] == statuses
    assert bool(sec.notes) == ("MISS" in statuses)
    assert sec.rows[4].target == "< 30 s"
    assert sec.rows[7].result.startswith("A 4.00 (change poll 1.00, lease renewal 0.40, lease scan 0.20, "
                                         "other 2.40); B 1.60")
    sec.method = replicas_report.method(replicas.QUICK, _replicas_result().follow)
    text = render([sec], {"CPU": "test"}, wall=60, command="python -m bench", quick=True)
    assert "| Cheap UI event p99, 2 replicas / 1 replica | (no target) |" in text
    assert "with the replicas' claim / without it, median of 4 each | < 3x |" in text
    assert "2.00x (3.0 ms / 1.5 ms" in text or "claimed" in change
    assert "SEEDANCE_LEASE_SECONDS 15" in text and "| idle (no job) (5 s) | replica-a | 4.00 |" in text
    assert "replicas" in parse_args(["--only", "replicas"]).only


def test_the_bench_loads_the_tests_postgres_helper_outside_pytest() -> None:
    """`make bench` runs without the tests' folder on its path: tests/pg_server.py and the helpers it
    imports (ports.py) must still load (a full run once lost its replicas section to this)."""
    root = Path(__file__).resolve().parent.parent
    code = "import bench.pgcluster as p; print(p._pg_server().free_port())"
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) > 0
