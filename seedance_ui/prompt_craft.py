"""Prompt-craft vocabulary: shot sizes, camera moves, lighting, styles, dialogue and example prompts.

Pure data and string helpers; a leaf module (imports nothing of ours), shared by the Studio's craft
inserts (`ui/studio/craft.py` re-exports it), the language-model prompts (`seedance_ui/llm/`) and the
simulator's labelled chat answers. Every snippet follows the provider's recommended prompt
style (CONTRACT.md section 1): subject, action, camera language, lighting and atmosphere, with
dialogue in straight double quotes. Each list is (menu label, text inserted into the prompt).
"""

from __future__ import annotations

from dataclasses import dataclass

SHOT_SIZES: tuple[tuple[str, str], ...] = (
    ("Extreme wide shot", "Extreme wide shot"),
    ("Wide shot", "Wide shot"),
    ("Full shot", "Full shot, the subject head to toe"),
    ("Medium shot", "Medium shot, framed from the waist up"),
    ("Medium close-up", "Medium close-up"),
    ("Close-up", "Close-up on the face"),
    ("Extreme close-up", "Extreme close-up"),
    ("Over-the-shoulder", "Over-the-shoulder shot"),
    ("Low angle", "Low-angle shot looking up"),
    ("Bird's-eye view", "Bird's-eye view from directly above"),
)

CAMERA_MOVES: tuple[tuple[str, str], ...] = (
    ("Pan left", "The camera pans slowly from right to left"),
    ("Pan right", "The camera pans slowly from left to right"),
    ("Tilt up", "The camera tilts up to reveal the scene"),
    ("Tilt down", "The camera tilts down"),
    ("Zoom in", "Slow zoom in"),
    ("Zoom out", "Slow zoom out"),
    ("Dolly in", "The camera dollies in toward the subject"),
    ("Dolly out", "The camera dollies out, revealing the surroundings"),
    ("Orbit", "The camera orbits around the subject"),
    ("Tracking shot", "A tracking shot follows the subject"),
    ("Handheld", "Handheld camera with a subtle natural shake"),
    ("Static", "Static camera, locked-off tripod shot"),
)

LIGHTING: tuple[tuple[str, str], ...] = (
    ("Golden hour", "warm golden-hour sunlight with long soft shadows"),
    ("Blue hour", "cool blue-hour twilight"),
    ("Soft window light", "soft diffused window light"),
    ("Neon night", "magenta and cyan neon light reflecting on wet surfaces"),
    ("Candlelight", "flickering warm candlelight"),
    ("Volumetric beams", "volumetric light beams cutting through haze"),
    ("Overcast", "flat overcast daylight, muted colours"),
    ("Moonlight", "pale moonlight and deep shadows"),
    ("Backlit rim light", "strong backlight outlining the subject with a rim of light"),
    ("Studio high-key", "bright high-key studio lighting"),
)

STYLES: tuple[tuple[str, str], ...] = (
    ("Cinematic 35 mm", "Cinematic 35 mm film look, shallow depth of field, fine grain"),
    ("Documentary", "Observational documentary style"),
    ("Anime", "Hand-drawn anime style, painterly backgrounds"),
    ("3D animation", "Stylised 3D animation, soft global illumination"),
    ("Stop-motion", "Stop-motion claymation with visible fingerprints in the clay"),
    ("Watercolour", "Loose watercolour illustration that moves"),
    ("Film noir", "High-contrast black-and-white film noir"),
    ("Vintage 16 mm", "Vintage 16 mm home-movie look, warm faded colours, light leaks"),
    ("Product commercial", "Glossy product commercial, clean seamless backdrop"),
    ("Music video", "Energetic music-video style with rhythmic cuts of light"),
)

CATEGORIES: dict[str, tuple[tuple[str, str], ...]] = {
    "shot": SHOT_SIZES,
    "camera": CAMERA_MOVES,
    "lighting": LIGHTING,
    "style": STYLES,
}


@dataclass(frozen=True)
class Example:
    """A curated example prompt."""

    title: str
    prompt: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "Neon courier",
        "A young courier in a yellow raincoat cycles through a narrow Tokyo alley at night, rain "
        "bouncing off her helmet. Low tracking shot alongside the bicycle, then the camera tilts up to "
        "a tangle of glowing signs. Magenta and cyan neon reflects in the puddles, steam drifts from "
        'the vents, light drizzle. She glances at her phone and mutters: "Last delivery. I promise."',
    ),
    Example(
        "Lighthouse storm",
        "Wide shot of a lonely lighthouse on black cliffs as a storm rolls in from the sea. Waves "
        "explode against the rocks, sending spray into the wind. The camera dollies slowly toward the "
        "lantern room, where an old keeper in a wool sweater trims the wick. Cold blue twilight, the "
        'lamp\'s warm beam sweeping through sheets of rain. He pats the brass rail: "Hold on, old girl."',
    ),
    Example(
        "Dawn bakery",
        "Close-up of flour-dusted hands folding croissant dough on a marble counter in a tiny bakery "
        "at dawn. The camera pushes in slowly as a cloud of flour hangs in the air. Soft window light, "
        "warm golden haze, the oven glowing orange in the background, the quiet hum of an early "
        'morning street. The baker smiles to herself: "Perfect. Now do it a hundred more times."',
    ),
    Example(
        "Red dunes",
        "An astronaut in a weathered white suit walks alone across rippled red dunes under a pale "
        "pink sky. The camera orbits slowly around her at waist height as wind lifts fine sand off "
        "the crests. Low golden-hour sun, long shadows, a distant dust storm on the horizon. Cinematic "
        "35 mm film look, fine grain, the only sounds her breathing and the wind.",
    ),
    Example(
        "Paper city",
        "Stop-motion claymation: a tiny paper boat sails down a rain-filled gutter through a city "
        "made of folded newspaper. Static camera at street level, then a slow pan follows the boat "
        "past a cardboard tram and a crowd of paper umbrellas. Soft overcast light, puddles that "
        'shimmer like cellophane. A paper pigeon on a lamp post calls out: "Mind the drain!"',
    ),
    Example(
        "Bamboo tea room (中文)",
        "中景，雨后的竹林茶室里，一位穿青色长衫的老人缓缓提起铁壶，为对面的年轻人倒茶。镜头从竹帘外缓慢推近，"
        '晨雾在竹叶间流动，柔和的侧光照亮升腾的茶汽，檐下水滴落在石阶上。老人轻声说："茶要慢慢喝，路要慢慢走。"',
    ),
)


def insert_snippet(prompt: str | None, snippet: str) -> str:
    """`prompt` with `snippet` appended as a new sentence (capitalised, full stop added)."""
    text = (prompt or "").rstrip()
    snippet = snippet.strip()
    if not snippet:
        return text
    if snippet[-1] not in '.!?"。！？”':
        snippet += "."
    if not text:
        return snippet[0].upper() + snippet[1:]
    if text[-1] not in '.!?"。！？”:;,':
        text += "."
    return f"{text} {snippet[0].upper()}{snippet[1:]}"


def lookup(category: str, label: str | None) -> str | None:
    """The prompt text of a menu label in a category, or None."""
    for item_label, text in CATEGORIES.get(category, ()):
        if item_label == label:
            return text
    return None


def dialogue_line(speaker: str | None, line: str | None) -> str:
    """A dialogue sentence in straight double quotes, as the provider recommends.

    Quotes inside the line become single quotes so the dialogue stays one quoted span.
    """
    spoken = (line or "").strip()
    for ch in '"“”„‟＂':
        spoken = spoken.replace(ch, "'")
    spoken = spoken.strip("'").strip()
    if not spoken:
        return ""
    who = (speaker or "").strip().rstrip(":：").strip() or "A voice"
    return f'{who} says: "{spoken}"'
