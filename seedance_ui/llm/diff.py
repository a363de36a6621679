"""A word-level diff the writer reviews change by change: `word_diff(old, new)` lists the changes (each with
an id), `apply(old, changes, accepted_ids)` makes the text with only the accepted ones.

Tokens keep every character (white space runs are tokens of their own), so rejecting every change gives
`old` back exactly and accepting every change gives `new` exactly. A word is a run of letters or digits, a
prompt tag (`@image1`, `@[Mara]`) or one CJK character (Chinese has no spaces between words); any other
character is a token alone. Changes separated only by white space are merged into one, so a rewritten
phrase reads as one change rather than a word salad. Pure: no Gradio, no I/O.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

ChangeKind = Literal["insert", "delete", "replace"]

# Order matters: tags before words, CJK before \w (which matches CJK too), `.` (with DOTALL) last.
_TOKEN = re.compile(
    r"@\[[^\]\n]*\]|@\w+|\s+|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|\w+|.",
    re.DOTALL,
)


@dataclass(frozen=True)
class Change:
    """One change: `old[start:end]` (empty for an insert) becomes `new_text` (empty for a delete)."""

    id: str
    kind: ChangeKind
    start: int
    end: int
    old_text: str
    new_text: str


def tokens(text: str) -> list[str]:
    """`text` as tokens; their concatenation is `text`."""
    return _TOKEN.findall(text)


def _kind(old_text: str, new_text: str) -> ChangeKind:
    if not old_text:
        return "insert"
    return "delete" if not new_text else "replace"


def word_diff(old: str, new: str) -> list[Change]:
    """The changes that turn `old` into `new`, in order, ids `c1`, `c2`, ..."""
    a, b = tokens(old), tokens(new)
    offsets = [0]
    for token in a:
        offsets.append(offsets[-1] + len(token))
    spans: list[list[int]] = []  # [i1, i2, j1, j2] of old and new token ranges
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        last = spans[-1] if spans else None
        if last is not None and _blank_gap(a, last[1], i1) and _blank_gap(b, last[3], j1):
            last[1], last[3] = i2, j2  # only white space between them: one change
        else:
            spans.append([i1, i2, j1, j2])
    changes = []
    for n, (i1, i2, j1, j2) in enumerate(spans, start=1):
        old_text, new_text = "".join(a[i1:i2]), "".join(b[j1:j2])
        changes.append(
            Change(f"c{n}", _kind(old_text, new_text), offsets[i1], offsets[i2], old_text, new_text)
        )
    return changes


def _blank_gap(toks: Sequence[str], start: int, end: int) -> bool:
    """The tokens between two changes are white space only (or none)."""
    return all(not t.strip() for t in toks[start:end])


def apply(old: str, changes: Sequence[Change], accepted_ids: Iterable[str]) -> str:
    """`old` with the accepted changes made and the others left out. ValueError when a change does not
    fit `old` (a diff of another text)."""
    accepted = set(accepted_ids)
    parts: list[str] = []
    position = 0
    for change in sorted(changes, key=lambda c: (c.start, c.end)):
        if change.start < position or old[change.start : change.end] != change.old_text:
            raise ValueError(f"change {change.id} does not fit this text")
        parts.append(old[position : change.start])
        parts.append(change.new_text if change.id in accepted else change.old_text)
        position = change.end
    parts.append(old[position:])
    return "".join(parts)


__all__ = ["Change", "ChangeKind", "apply", "tokens", "word_diff"]
