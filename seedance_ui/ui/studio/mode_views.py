"""HTML of the Frames and References inputs: what a dropped picture is, and the tag chips.

Pure functions from data to HTML, no Gradio; outside strings go through `views.esc`.
"""

from __future__ import annotations

from collections.abc import Sequence

from seedance_ui.ui.studio.modes import ADAPTIVE, Picture, ratio_mismatch
from seedance_ui.ui.views import esc

FRAME_LABELS = {"first_frame": "First frame", "last_frame": "Last frame"}
KIND_LABELS = {"image": "Images", "video": "Videos", "audio": "Audio"}


def hints_html(notes: Sequence[tuple[str, str, str]], extra_class: str = "") -> str:
    """A list of (level, code, message) notes, drawn like the prompt lint's hints ("" for none)."""
    if not notes:
        return ""
    items = "".join(
        f'<li class="sd-hint is-{esc(level)}" data-code="{esc(code)}"><span class="sd-hint-dot" '
        f'aria-hidden="true"></span>{esc(message)}</li>'
        for level, code, message in notes
    )
    return f'<ul class="sd-hints{" " + extra_class if extra_class else ""}">{items}</ul>'


def _picture_line(label: str, picture: Picture) -> str:
    shape = f"{picture.width} × {picture.height} px · {picture.ratio:.2f}:1 (≈ {picture.nearest})"
    return (
        f'<li class="sd-frame-fact" data-frame="{esc(label.lower().replace(" ", "-"))}" '
        f'data-ratio="{picture.ratio:.4f}" data-nearest="{esc(picture.nearest)}">'
        f"<b>{esc(label)}</b> {esc(shape)}</li>"
    )


def frames_note_html(
    pictures: dict[str, Picture | None], aspect_ratio: str, refusals: Sequence[str] = ()
) -> str:
    """Each frame's size and ratio, the rule a frame breaks, and whether the aspect ratio fits it; first,
    the files a zone refused (`refusals`, each naming its zone and the rule).

    `pictures`: field name -> the measured picture (None when the zone is empty)."""
    refused = hints_html([("error", "frame_refused", message) for message in refusals])
    given = {name: pic for name, pic in pictures.items() if pic is not None}
    if not given:
        return (
            f'<div class="sd-frames-note is-empty">{refused}Drop a picture on <b>First frame</b>: the video '
            "opens on exactly that image. Add a last frame to say where the shot ends.</div>"
        )
    facts = [_picture_line(FRAME_LABELS.get(name, name), pic) for name, pic in given.items()]
    notes: list[tuple[str, str, str]] = []  # (level, code, message)
    for name, pic in given.items():
        if pic.problem:
            notes.append(("error", "frame_rule", f"{FRAME_LABELS.get(name, name)}: {pic.problem}."))
    first = given.get("first_frame")
    if first is not None and ratio_mismatch(first, aspect_ratio):
        notes.append((
            "warning",
            "ratio_mismatch",
            f"Aspect ratio {aspect_ratio} does not match the first frame (≈ {first.nearest}): the model will "
            f"crop or pad it. Pick {ADAPTIVE} to keep the picture as it is, or {first.nearest}.",
        ))
    elif first is not None and aspect_ratio != ADAPTIVE:
        notes.append(("tip", "adaptive", f"Tip: {ADAPTIVE} follows the first frame's own shape."))
    last = given.get("last_frame")
    if first is not None and last is not None and first.nearest != last.nearest:
        notes.append((
            "warning",
            "frames_differ",
            f"The first frame is ≈ {first.nearest} and the last ≈ {last.nearest}: the video takes the "
            "first frame's shape, so the last one is cropped.",
        ))
    facts_html = f'<ul class="sd-frame-facts">{"".join(facts)}</ul>'
    return f'<div class="sd-frames-note">{refused}{facts_html}{hints_html(notes)}</div>'



def chips_html(counts: dict[str, int], limits: dict[str, int], problems: Sequence[str] = ()) -> str:
    """One chip per reference input (@image1 …), in the order the request sends them; a click on a chip
    inserts its tag at the prompt's cursor (scripts/tag-chips.js). `problems`: refusals to show now."""
    groups = []
    for kind, label in KIND_LABELS.items():
        count = counts.get(kind, 0)
        chips = "".join(
            f'<button type="button" class="sd-tag-chip is-{kind}" data-tag="@{kind}{n}" '
            f'aria-label="Insert @{kind}{n} into the prompt">@{kind}{n}</button>'
            for n in range(1, count + 1)
        )
        shown = chips or '<span class="sd-tag-none">none yet</span>'
        groups.append(
            f'<div class="sd-tag-group" data-kind="{kind}"><span class="sd-tag-kind">{label} '
            f'<small>{count}/{limits.get(kind, 0)}</small></span>{shown}</div>'
        )
    issues = hints_html([("error", "reference_rule", problem) for problem in problems])
    return (
        '<div class="sd-tags" role="group" '
        'aria-label="Reference tags: click one to insert it into the prompt">'
        '<div class="sd-tags-title">Tags — click one to put it in the prompt at the cursor</div>'
        f'{"".join(groups)}{issues}</div>'
    )


def measures_html(notes: Sequence[tuple[bool, str]]) -> str:
    """What fetching the reference videos and audio found: each one's length, or the rule it breaks."""
    return hints_html(
        [("tip", "measured", text) if fine else ("error", "reference_rule", text) for fine, text in notes],
        "sd-ref-measures",
    )
