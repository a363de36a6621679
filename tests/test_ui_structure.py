"""The UI's shape: each tab is a package of panels (ui/studio/, ui/storyboard/), and no module of
seedance_ui/ui imports, directly or round a circle, a module that imports it (not even for type checking):
a panel is handed the page and the panels it works with, it never imports its host back."""

from __future__ import annotations

import ast
from pathlib import Path

import seedance_ui.ui

UI = Path(seedance_ui.ui.__file__).parent
PACKAGE = "seedance_ui.ui"


def module_name(path: Path) -> str:
    parts = path.relative_to(UI).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The modules of seedance_ui.ui that `path` imports, anywhere in it (TYPE_CHECKING blocks and
    function bodies included): `from a.b import c` names `a.b.c` when that is a module, else `a.b`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
            names = [n for n in names if n in modules][:1] or [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:  # a name inside a module: that module
                name = name.rpartition(".")[0]
            if name.startswith(PACKAGE + ".") or name == PACKAGE:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in UI.rglob("*.py")}
    modules = set(paths)
    edges = {name: imports_of(path, modules) - {name} for name, path in paths.items()}
    for name, targets in edges.items():  # importing a package's module imports the package first
        parents = {t.rpartition(".")[0] for t in targets}
        edges[name] = targets | {p for p in parents if p in modules and p != PACKAGE}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, as one path round it (a depth-first search's back edges)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_no_module_of_the_ui_imports_a_module_that_imports_it() -> None:
    edges = graph()
    assert f"{PACKAGE}.studio.tab" in edges and f"{PACKAGE}.storyboard.tab" in edges
    assert cycles(edges) == []


def test_the_cycle_check_sees_a_circle_and_a_type_checking_import(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from seedance_ui.ui.b import B\n")
    modules = {"seedance_ui.ui.a", "seedance_ui.ui.b"}
    assert imports_of(a, modules) == {"seedance_ui.ui.b"}
    assert cycles({"x": {"y"}, "y": {"z"}, "z": {"x"}}) == [["x", "y", "z", "x"]]
    assert cycles({"x": {"y"}, "y": set()}) == []


def test_each_tab_is_a_package_and_the_flat_folder_keeps_only_what_both_share() -> None:
    flat = sorted(p.stem for p in UI.glob("*.py"))
    assert not [name for name in flat if name.startswith("storyboard_") or name.endswith("_handlers")]
    assert (UI / "studio" / "__init__.py").is_file() and (UI / "storyboard" / "__init__.py").is_file()
    for package in ("studio", "storyboard"):
        for path in (UI / package).glob("*.py"):
            source = path.read_text(encoding="utf-8")
            assert "Handlers)" not in source and "Handlers," not in source, f"a mixin in {path.name}"
