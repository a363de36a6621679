"""Which prompt version made a take, as the history detail and a shot's takes show it (take_version.py):
its number among its subject's versions, source and time, the wording escaped; nothing for a take made
without one, another owner's version, or with the feature off."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from seedance_ui.llm.versions import STUDIO_SUBJECT, PromptVersions
from seedance_ui.store import open_database
from seedance_ui.ui.assist.take_version import take_version, take_version_html, takes_versions, version_of_job


def test_a_takes_version_is_numbered_labelled_and_escaped(tmp_path: Path) -> None:
    versions = PromptVersions(open_database(tmp_path), clock=lambda: 1_700_000_000.0)
    runtime = SimpleNamespace(prompt_versions=versions)
    first = versions.add("v-1", STUDIO_SUBJECT, "A keeper <b>climbs</b>", "typed")
    third = versions.add("v-1", STUDIO_SUBJECT, 'She says: "Almost"', "enhanced")
    versions.add("v-1", STUDIO_SUBJECT, "later wording", "typed")
    versions.add("v-1", STUDIO_SUBJECT, 'She says: "Almost" <i>', "restored")
    found = take_version(runtime, "v-1", first.id)
    assert found is not None and found.number == 1 and found.label.startswith("Prompt v1 · Typed · ")
    assert take_version(runtime, "v-1", third.id).number == 2  # type: ignore[union-attr]
    html = take_version_html(found)
    assert "A keeper &lt;b&gt;climbs&lt;/b&gt;" in html and "<b>" not in html
    assert 'data-number="1"' in html and f'data-version="{first.id}"' in html
    # Nothing to show: no version, another owner's, the feature off.
    assert take_version(runtime, "v-2", first.id) is None and take_version(runtime, "v-1", None) is None
    assert take_version(SimpleNamespace(prompt_versions=None), "v-1", first.id) is None
    assert version_of_job(runtime, "v-1", SimpleNamespace(prompt_version=None)) == ""
    # A shot's takes: take id -> its line (one list read per subject).
    takes = [SimpleNamespace(take=SimpleNamespace(id="t1"), record=SimpleNamespace(prompt_version=third.id)),
             SimpleNamespace(take=SimpleNamespace(id="t2"), record=None)]
    lines = takes_versions(runtime, "v-1", takes)
    assert "Prompt v2 · Enhanced" in lines["t1"] and lines["t2"] == ""

