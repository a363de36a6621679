"""The README, read as a newcomer follows it: what it promises exists, and its examples run.

The gradio_client example runs against the launched studio in demo mode, and the client library
example against the contract simulator, exactly as written (only the address is swapped).
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import LiveApp
from media_files import QUADRANTS, close_to, first_and_last_frames, margin_points, plain_image, quadrant_image
from test_ship_docker import dockerfile_env

from seedance_ui.client import errors as client_errors
from seedance_ui.jobs import budget
from seedance_ui.media import probe
from seedance_ui.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
NAME = re.compile(r"\b(?:EVOLINK|SEEDANCE|GRADIO)_[A-Z_]+\b")

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def section(title: str) -> str:
    """The text of `## title` up to the next `## ` heading."""
    assert f"\n## {title}\n" in README, f"README has no '## {title}' section"
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def config_names() -> set[str]:
    source = (ROOT / "seedance_ui" / "config.py").read_text()
    return set(re.findall(r'"((?:EVOLINK|SEEDANCE|GRADIO)_[A-Z_]+)"', source))


def error_classes(module: object) -> list[str]:
    return [
        name
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, client_errors.SeedanceError)
        and obj.__module__ == module.__name__  # type: ignore[attr-defined]
    ]


# --------------------------------------------------------------------------------------------------
# what the README says exists


def test_front_matter_is_a_valid_gradio_space_with_sign_in() -> None:
    meta = yaml.safe_load(README.split("---\n")[1])
    pinned = re.search(r"^gradio==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pinned and str(meta["sdk_version"]) == pinned.group(1)
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["python_version"] == "3.11"
    assert len(meta["short_description"]) <= 60, "Spaces cuts short descriptions at 60 characters"
    # hf_oauth: true because sign-in exists (SEEDANCE_SIGN_IN, gr.LoginButton, authlib pinned).
    assert "SEEDANCE_SIGN_IN" in config_names()
    assert meta["hf_oauth"] is True
    assert re.search(r"^authlib==", (ROOT / "requirements.txt").read_text(), re.M)


def test_the_configuration_table_has_a_row_for_every_variable() -> None:
    rows = [line for line in section("Configuration").splitlines() if line.startswith("| `")]
    documented = {re.match(r"\| `([A-Z_]+)`", row).group(1) for row in rows}  # type: ignore[union-attr]
    assert documented == config_names()
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 3 and all(cells), f"every row needs a default and an effect: {row}"


def test_every_variable_named_anywhere_is_real() -> None:
    known = config_names() | set(dockerfile_env())
    assert set(NAME.findall(README)) <= known, set(NAME.findall(README)) - known


def test_troubleshooting_has_an_entry_per_error_class() -> None:
    headings = re.findall(r"^### (.+)$", section("Troubleshooting"), re.M)
    text = section("Troubleshooting")
    classes = error_classes(client_errors)
    assert len(classes) >= 13
    for name in classes:
        assert any(f"`{name}`" in h for h in headings), f"no troubleshooting entry for {name}"
    for name in error_classes(budget):
        if name != "SubmissionRefusedError":
            assert f"`{name}`" in text, f"{name} is not explained"
    for problem in ("Cannot find empty port", "chromium is missing", "ensurepip", "ConfigError"):
        assert problem in text


def test_the_screenshots_are_real_and_small() -> None:
    from PIL import Image

    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)|<img src=\"([^\"]+)\"", README)
    paths = [a or b for a, b in images]
    assert paths[0] == "assets/screenshot.png", "the screenshot comes first"
    for path in paths:
        file = ROOT / path
        assert file.is_file(), path
        assert file.stat().st_size < 400 * 1024, f"{path} is {file.stat().st_size // 1024} KiB"
        with Image.open(file) as image:
            assert image.format == "PNG"
            assert image.width in (1440, 390)


def test_local_links_and_make_targets_exist() -> None:
    for target in re.findall(r"\]\((?!https?://|#)([^)\s]+)\)", README):
        assert (ROOT / target).exists(), target
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"`make (\w+)", README)):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target} is not a target"
    for anchor in re.findall(r"\]\(#([a-z0-9-]+)\)", README):
        titles = re.findall(r"^#{2,3} (.+)$", README, re.M)
        slugs = {re.sub(r"[^a-z0-9 -]", "", t.lower()).replace(" ", "-") for t in titles}
        assert anchor in slugs, f"#{anchor} points nowhere"


def test_docker_commands_match_the_dockerfile() -> None:
    env = dockerfile_env()
    runs = [line for line in code_blocks(section("Docker"), "bash")[0].splitlines() if "docker run" in line]
    assert runs and "docker build -t seedance-studio ." in section("Docker")
    port, data = env["GRADIO_SERVER_PORT"], env["SEEDANCE_DATA_DIR"]
    for line in runs:
        assert f"-p {port}:{port}" in line and f":{data} " in line
    assert any(re.search(r"-e EVOLINK_API_KEY(\s|$)", line) for line in runs), "the key comes from the host"


def test_spaces_steps_use_commands_that_exist() -> None:
    steps = section("Deploying to Hugging Face Spaces")
    hf = ROOT / ".venv" / "bin" / "hf"
    blocks = [block.replace("\\\n", " ") for block in code_blocks(steps, "bash")]
    commands = [line.strip() for block in blocks for line in block.splitlines()]
    hf_commands = [c for c in commands if c.startswith(".venv/bin/hf ")]
    assert {c.split()[1] for c in hf_commands} >= {"auth", "buckets", "repos", "upload"}
    assert "SEEDANCE_DATA_DIR=/data" in steps and ":/data" in steps and "--secrets EVOLINK_API_KEY" in steps
    assert "SEEDANCE_REQUIRE_USER_KEY" in steps
    if not hf.exists():
        pytest.skip(".venv/bin/hf is not installed here")
    for command in hf_commands:  # each subcommand and option parses (--help stops before any network)
        words = command.split()
        sub = words[1:3] if words[1] in ("auth", "buckets", "repos", "spaces") else words[1:2]
        env = {**os.environ, "NO_COLOR": "1"}
        argv = [str(hf), *sub, "--help"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode == 0, result.stderr
        for option in (w for w in words if w.startswith("-") and w != "-"):
            assert option.split("=")[0] in result.stdout, f"{' '.join(sub)} has no option {option}"


# --------------------------------------------------------------------------------------------------
# the examples, run


def test_the_gradio_client_example_runs_against_the_studio(
    demo_app: LiveApp, capsys: pytest.CaptureFixture[str]
) -> None:
    [example] = code_blocks(section("Programmatic API"), "python")[:1]
    namespace = run_gradio_example(example, demo_app.url)
    video, summary = namespace["video"], namespace["summary"]
    assert Path(str(video)).is_file() and probe(Path(str(video))).duration == pytest.approx(5, abs=0.3)
    assert summary["status"] == "completed"  # type: ignore[index]
    assert "completed task-" in capsys.readouterr().out


def run_gradio_example(example: str, url: str) -> dict[str, object]:
    """Run a README gradio_client example against the studio at `url` (only the address swapped)."""
    local = 'Client("http://127.0.0.1:7860/")'
    assert local in example
    code = example.replace(local, f"Client({url!r}, verbose=False)")
    ast.parse(code)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


def python_example(marker: str) -> str:
    """The one Python example of the Programmatic API section that contains `marker`."""
    [example] = [b for b in code_blocks(section("Programmatic API"), "python") if marker in b]
    return example


def test_the_frames_example_runs_against_the_studio(
    demo_app: LiveApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    back = ((20, 20, 20), (250, 250, 250), (250, 140, 0), (120, 0, 160))
    quadrant_image(tmp_path / "product.png")
    quadrant_image(tmp_path / "product-back.png", colours=back)
    monkeypatch.chdir(tmp_path)
    namespace = run_gradio_example(python_example("image-to-video"), demo_app.url)
    video, summary = Path(str(namespace["video"])), namespace["summary"]
    assert summary["status"] == "completed"  # type: ignore[index]
    assert "[('first_frame', 'product.png'), ('last_frame', 'product-back.png')]" in capsys.readouterr().out
    first, last = first_and_last_frames(video)  # the placeholder opens on one picture, ends on the other
    points = margin_points(*first.size)
    assert all(close_to(first.getpixel(p), c) for p, c in zip(points, QUADRANTS, strict=True))
    assert all(close_to(last.getpixel(p), c) for p, c in zip(points, back, strict=True))


def test_the_references_example_runs_against_the_studio(
    demo_app: LiveApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    quadrant_image(tmp_path / "character.png")
    plain_image(tmp_path / "market.png", (800, 600), colour=(200, 120, 40))
    monkeypatch.chdir(tmp_path)
    namespace = run_gradio_example(python_example("reference-to-video"), demo_app.url)
    summary = namespace["summary"]
    assert summary["status"] == "completed" and "completed" in capsys.readouterr().out  # type: ignore[index]
    inputs = summary["params"]["inputs"]  # type: ignore[index]
    assert [(i["role"], i["name"]) for i in inputs] == [("reference_image", "character.png"),
                                                        ("reference_image", "market.png")]
    assert probe(Path(str(namespace["video"]))).duration == pytest.approx(5, abs=0.3)


def test_the_client_library_example_runs_against_the_simulator(tmp_path: Path) -> None:
    example = python_example("from seedance_ui.client")
    (tmp_path / "boat.py").write_text(example)
    with Simulator(speed=200) as sim:
        sim.set_behaviour(estimated_time=5)  # the client polls by the estimate: keep the wait short
        env = {
            **os.environ,
            "EVOLINK_API_KEY": "test",
            "EVOLINK_BASE_URL": sim.base_url,
            "PYTHONPATH": str(ROOT),
        }
        result = subprocess.run(
            [sys.executable, "boat.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert sim.create_count == 1
    assert "saved boat.mp4" in result.stdout and "completed 100%" in result.stdout
    info = probe(tmp_path / "boat.mp4")
    assert info.duration == pytest.approx(5, abs=0.3) and (info.width, info.height) == (854, 480)


def test_the_architecture_table_names_every_module() -> None:
    text = section("Architecture")
    package = ROOT / "seedance_ui"
    modules = [p for p in sorted(package.rglob("*.py")) if p.name != "__init__.py"]
    assert len(modules) > 40
    named = {p: (f"`{p.name}`", f"`seedance_ui/{p.relative_to(package).as_posix()}`") for p in modules}
    missing = [str(p.relative_to(package)) for p, names in named.items() if not any(n in text for n in names)]
    assert not missing, f"the README's architecture table does not name {missing}"
