"""What an assist panel works on in one tab (`Target`: the prompt box, who is asking, which prompt's
versions), who asks the model (`caller_of`), and the event options of the assist events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from seedance_ui.llm import versions
from seedance_ui.llm.events import Caller
from seedance_ui.llm.versions import STUDIO_SUBJECT
from seedance_ui.runtime import Runtime
from seedance_ui.security.owners import SIGNED_IN_PREFIX, client_address
from seedance_ui.ui.common import CRAFT_LIMIT, UI_LIMIT, group, owner_of

# Model calls wait on the network (seconds each, streamed): their own group, so they never hold a click
# of the page back, and several at once so one visitor's long enhancement does not queue everyone's.
CRAFT = group("craft", CRAFT_LIMIT, show_progress="hidden")
# Reviewing a suggestion (ticks, accept, discard) and the versions list: quick, in the UI group.
REVIEW = group("ui", UI_LIMIT, show_progress="hidden")


def shot_subject(board_id: Any, shot_id: Any) -> str | None:
    """The versions subject of a storyboard shot (None when no shot is open)."""
    if not isinstance(board_id, str) or not isinstance(shot_id, str) or not board_id or not shot_id:
        return None
    return versions.shot_subject(board_id, shot_id)


@dataclass
class Target:
    """One prompt box and what its assist needs: the owner and key components of the tab, the inputs that
    name the prompt's versions subject and how (`subject_of(*values)`, None: no prompt open), a prefix for
    element ids, and the events that show another subject (the versions list then follows)."""

    prompt: Any
    owner: Any
    visitor_key: Any
    prefix: str
    subject_inputs: Sequence[Any] = ()
    subject_of: Callable[..., str | None] = lambda *_values: STUDIO_SUBJECT
    refresh_on: Sequence[Any] = field(default_factory=list)


def caller_of(runtime: Runtime, owner: Any, visitor_key: Any, request: Any) -> Caller | None:
    """Who asks the model in this event, built as generation builds its owner (None: no owner yet)."""
    owner_id = owner_of(owner, request, runtime.settings)
    if not owner_id:
        return None
    address = client_address(request, trust_proxy=runtime.settings.trust_proxy) or ""
    key = visitor_key if isinstance(visitor_key, str) and visitor_key else None
    return Caller(
        owner=owner_id, address=address, visitor_key=key, signed_in=owner_id.startswith(SIGNED_IN_PREFIX)
    )


def craft_enabled(runtime: Runtime) -> bool:
    """The model's features are on (SEEDANCE_LLM) and the backend is there."""
    craft = getattr(runtime, "craft", None)
    return bool(craft is not None and getattr(craft, "enabled", False))
