"""The Dockerfile, read as Docker reads it: what the image contains, runs as and exposes.

No Docker engine runs here; tests/test_ship_fresh_venv.py boots the same files with the same
environment. The helpers below are shared with it.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from seedance_ui.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"

# The Debian font packages the image installs, and a file each one provides that the code looks for.
FONT_FILES = {"fonts-dejavu-core": "DejaVuSans.ttf", "fonts-wqy-microhei": "wqy-microhei.ttc"}
# What python:3.11-slim itself sets (the base image's ENV), under the Dockerfile's own ENV.
BASE_IMAGE_ENV = {"LANG": "C.UTF-8"}


def dockerfile_steps(text: str | None = None) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text() if text is None else text
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    steps = []
    for line in joined.splitlines():
        line = line.strip()
        if line:
            word, _, rest = line.partition(" ")
            steps.append((word.upper(), " ".join(rest.split())))
    return steps


def dockerfile_env() -> dict[str, str]:
    """Every variable the image sets: the base image's, then each ENV KEY=VALUE in order."""
    env = dict(BASE_IMAGE_ENV)
    for word, args in dockerfile_steps():
        if word == "ENV":
            for item in shlex.split(args):
                key, sep, value = item.partition("=")
                assert sep, f"ENV {args!r}: use the KEY=VALUE form"
                env[key] = value
    return env


def dockerfile_copied() -> list[str]:
    """The sources of every COPY, in order (flags such as --chown left out)."""
    sources = []
    for word, args in dockerfile_steps():
        if word == "COPY":
            parts = [p for p in args.split() if not p.startswith("--")]
            sources += [p.rstrip("/") for p in parts[:-1]]
    return sources


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's CMD as an argv (exec form, or shell form run by /bin/sh -c)."""
    [args] = [a for w, a in dockerfile_steps() if w == "HEALTHCHECK"]
    command = args.split(" CMD ", 1)[1]
    return json.loads(command) if command.startswith("[") else ["/bin/sh", "-c", command]


def test_fonts_come_from_debian_in_their_own_cached_layer() -> None:
    steps = dockerfile_steps()
    [(index, apt)] = [(i, a) for i, (w, a) in enumerate(steps) if w == "RUN" and "apt-get install" in a]
    assert "apt-get update" in apt and "--no-install-recommends" in apt
    assert apt.rstrip().endswith("rm -rf /var/lib/apt/lists/*"), "apt lists are cleaned in the same layer"
    first_copy = next(i for i, (w, _) in enumerate(steps) if w == "COPY")
    assert index < first_copy, "a code or requirements change must not re-run apt"
    packages = set(apt.split("--no-install-recommends", 1)[1].split("&&", 1)[0].split())
    assert packages == set(FONT_FILES)
    # Spaces installs the same Debian packages from packages.txt.
    listed = {line.strip() for line in (ROOT / "packages.txt").read_text().splitlines() if line.strip()}
    assert listed == packages


def test_the_installed_fonts_are_the_ones_the_code_looks_for() -> None:
    """One text helper finds the fonts for posters, contact sheets, title cards and demo clips."""
    from seedance_ui import textdraw

    source = (ROOT / "seedance_ui" / "textdraw.py").read_text()
    for package, font in FONT_FILES.items():
        assert f'"{font}"' in source, f"{package} provides {font}, which textdraw.py does not look for"
    assert Path("/usr/share/fonts") in textdraw._FONT_DIRS
    for module in ("media.py", "simulator/render.py", "storyboard/titlecard.py"):
        assert "textdraw" in (ROOT / "seedance_ui" / module).read_text(), f"{module} draws text itself"


def test_the_image_runs_as_uid_1000_and_may_write_only_its_data() -> None:
    steps = dockerfile_steps()
    words = [w for w, _ in steps]
    [useradd] = [a for w, a in steps if w == "RUN" and "useradd" in a]
    assert "groupadd --gid 1000" in useradd and "--uid 1000 --gid 1000" in useradd
    assert [a for w, a in steps if w == "USER"] == ["1000:1000"], "numeric, so runAsNonRoot can check it"
    user_at = words.index("USER")
    assert all(w != "RUN" for w in words[user_at:]), "nothing runs as root after USER"
    assert any(w == "RUN" and "chown 1000:1000 /data" in a for w, a in steps)
    # The code stays root's: the app cannot rewrite itself (tests/test_ship_fresh_venv.py checks that
    # it writes nothing next to its code).
    assert not any(w == "COPY" and "--chown" in a for w, a in steps)


def test_only_the_app_is_copied_and_dockerignore_allows_exactly_that() -> None:
    copied = dockerfile_copied()
    assert copied[0] == "requirements.txt", "the dependency layer is built from requirements.txt alone"
    assert set(copied) == {"requirements.txt", "app.py", "seedance_ui", "assets"}
    for source in copied:
        assert (ROOT / source).exists(), source
    ignore = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()]
    assert ignore[0] == "*"
    assert {line[1:].rstrip("/") for line in ignore if line.startswith("!")} == set(copied)
    assert "**/__pycache__" in ignore


def test_the_environment_is_a_valid_configuration_for_a_container() -> None:
    env = dockerfile_env()
    settings = load_settings(env)
    assert settings.server_name == "0.0.0.0"
    assert settings.server_port == 7860
    assert str(settings.data_dir) == "/data"
    assert settings.demo_mode, "no key in the image: demo mode unless one is passed at run time"
    assert env["GRADIO_ANALYTICS_ENABLED"] == "False"
    exposed = [a for w, a in dockerfile_steps() if w == "EXPOSE"]
    assert exposed == [env["GRADIO_SERVER_PORT"]]
    assert [a for w, a in dockerfile_steps() if w == "VOLUME"] == [json.dumps([env["SEEDANCE_DATA_DIR"]])]


def test_no_secret_is_set_or_copied() -> None:
    secretish = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.I)
    for word, args in dockerfile_steps():
        if word in ("ENV", "ARG", "LABEL"):
            names = [item.partition("=")[0] for item in shlex.split(args)]
            assert not any(secretish.search(n) for n in names), f"{word} {args}"
    copied = dockerfile_copied()
    assert ".env" not in copied and "data" not in copied


def test_healthcheck_and_command_run_python_directly() -> None:
    steps = dockerfile_steps()
    [health] = [a for w, a in steps if w == "HEALTHCHECK"]
    assert "/healthz" in health and "GRADIO_SERVER_PORT" in health
    assert healthcheck_command()[0] == "python", "exec form: no shell needed"
    assert re.search(r"--timeout=\d+s", health) and re.search(r"--start-period=\d+s", health)
    # Exec form: python is PID 1 and gets docker stop's SIGTERM itself (a shell would swallow it).
    assert json.loads(dict(steps)["CMD"]) == ["python", "app.py"]
    assert "STOPSIGNAL" not in dict(steps) or dict(steps)["STOPSIGNAL"] == "SIGTERM"


def test_the_parser_reads_continuations_and_comments() -> None:
    text = 'FROM x\n# a comment\nENV A=1 \\\n    B="two words"\nRUN echo hi \\\n  && echo there\n'
    assert dockerfile_steps(text) == [
        ("FROM", "x"),
        ("ENV", 'A=1 B="two words"'),
        ("RUN", "echo hi && echo there"),
    ]
