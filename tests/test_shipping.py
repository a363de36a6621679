"""Stand-ins for a Docker build and a Spaces deploy: the files say what they must."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pinned(package: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{package} is not pinned in requirements.txt")


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_every_requirement_is_pinned_exactly():
    for req in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / req).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r")):
                assert re.fullmatch(r"[A-Za-z0-9_.\[\]-]+==[\w.]+", line), f"{req}: {line!r} is not pinned"
    assert _pinned("gradio") == "6.31.0"


def test_readme_front_matter_matches_the_pinned_gradio():
    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["sdk"] == "gradio"
    assert str(meta["sdk_version"]) == _pinned("gradio")
    assert meta["app_file"] == "app.py"
    assert str(meta["python_version"]).startswith("3.11")
    for key in ("title", "emoji", "short_description"):
        assert meta.get(key)


def test_readme_quickstart_has_exactly_the_two_commands():
    text = (ROOT / "README.md").read_text()
    quickstart = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = quickstart.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_dockerfile_properties():
    steps = _dockerfile()
    words = [w for w, _ in steps]
    args = dict(steps)  # last of each instruction
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert any("useradd" in a and "--uid 1000" in a for w, a in steps if w == "RUN")
    user_at = words.index("USER")
    assert args["USER"] not in ("root", "0")
    # The dependency layer comes from requirements.txt alone, before the source is copied.
    copies = [a for w, a in steps if w == "COPY"]
    assert copies[0].split()[-2:] == ["requirements.txt", "."]
    first_install = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and "requirements.txt" in a)
    first_source_copy = next(i for i, (w, a) in enumerate(steps) if w == "COPY" and "seedance_ui" in a)
    assert first_install < first_source_copy
    env = " ".join(a for w, a in steps if w == "ENV")
    assert "GRADIO_SERVER_NAME=0.0.0.0" in env
    assert "7860" in args["EXPOSE"]
    assert "/data" in args["VOLUME"] and "SEEDANCE_DATA_DIR=/data" in env
    assert "HEALTHCHECK" in words and "/healthz" in args["HEALTHCHECK"]
    assert json.loads(args["CMD"]) == ["python", "app.py"]
    assert user_at > words.index("RUN")
    # No secret baked into the image.
    assert "EVOLINK_API_KEY" not in (ROOT / "Dockerfile").read_text()


def test_dockerignore_keeps_secrets_and_data_out():
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[0] == "*", "start from nothing and allow only what the image needs"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert allowed == {"app.py", "requirements.txt", "seedance_ui", "assets"}
