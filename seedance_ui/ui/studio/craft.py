"""Prompt-craft vocabulary for the Studio's inserts: re-exported from `seedance_ui.prompt_craft`, where the
pure data lives so the language-model helpers (`seedance_ui/llm/`) and the simulator share it."""

from seedance_ui.prompt_craft import (
    CAMERA_MOVES,
    CATEGORIES,
    EXAMPLES,
    LIGHTING,
    SHOT_SIZES,
    STYLES,
    Example,
    dialogue_line,
    insert_snippet,
    lookup,
)

__all__ = ["CAMERA_MOVES", "CATEGORIES", "EXAMPLES", "LIGHTING", "SHOT_SIZES", "STYLES", "Example",
           "dialogue_line", "insert_snippet", "lookup"]
