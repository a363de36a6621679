"""Look and feel: the Gradio theme, the page CSS and the <head> additions.

Gradio 6 takes theme, css and head in launch(), not in the Blocks constructor; `launch_kwargs` in
`seedance_ui.ui.app` passes them. System fonts only: nothing is fetched from a font CDN.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from seedance_ui.options import ASPECT_RATIOS
from seedance_ui.ui.common import script

ACCENT = "#6d4aff"
ACCENT_2 = "#ff5f6d"
GRADIENT = f"linear-gradient(120deg, {ACCENT} 0%, #a64dff 55%, {ACCENT_2} 100%)"
GRADIENT_HOVER = "linear-gradient(120deg, #5a35e6 0%, #9440f0 55%, #f04e5e 100%)"

VIOLET = gr.themes.Color(
    name="seedance_violet",
    c50="#f5f2ff",
    c100="#ece6ff",
    c200="#dad0ff",
    c300="#bfaeff",
    c400="#9e84ff",
    c500="#7c5cff",
    c600="#6d4aff",
    c700="#5a35e6",
    c800="#4829b8",
    c900="#3a2392",
    c950="#22135c",
)

FONT = [
    "Inter",
    "ui-sans-serif",
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Helvetica Neue",
    "Arial",
    "Noto Sans",
    "PingFang SC",
    "Microsoft YaHei",
    "sans-serif",
]
FONT_MONO = ["JetBrains Mono", "ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def build_theme() -> gr.themes.Base:
    theme = gr.themes.Base(
        primary_hue=VIOLET,
        secondary_hue=gr.themes.colors.rose,
        neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_lg,
        spacing_size=gr.themes.sizes.spacing_md,
        text_size=gr.themes.sizes.text_md,
        font=FONT,
        font_mono=FONT_MONO,
    )
    return theme.set(
        body_background_fill="#f6f5fb",
        body_background_fill_dark="#0c0b12",
        body_text_color="#1d1b2c",
        body_text_color_subdued="#6b6882",
        background_fill_primary="#ffffff",
        background_fill_primary_dark="#15141e",
        background_fill_secondary="#faf9fe",
        background_fill_secondary_dark="#1b1a26",
        block_background_fill="#ffffff",
        block_background_fill_dark="#15141e",
        block_border_color="#ebe8f4",
        block_border_color_dark="#2a2838",
        block_border_width="1px",
        block_radius="16px",
        block_shadow="0 1px 2px rgba(24, 16, 64, 0.04)",
        block_label_text_color="#5f5b78",
        block_label_text_weight="600",
        block_title_text_weight="600",
        block_label_background_fill="transparent",
        block_label_background_fill_dark="transparent",
        input_background_fill="#fbfaff",
        input_background_fill_dark="#1b1a26",
        input_border_color="#e4e0f0",
        input_border_color_dark="#2f2c40",
        input_border_color_focus=ACCENT,
        input_shadow_focus="0 0 0 3px rgba(109, 74, 255, 0.15)",
        checkbox_label_background_fill="#f6f4fd",
        checkbox_label_background_fill_dark="#1f1d2b",
        checkbox_label_background_fill_selected="#ece6ff",
        checkbox_label_background_fill_selected_dark="#2b2250",
        checkbox_label_border_color="#e7e3f3",
        checkbox_label_border_color_selected=ACCENT,
        checkbox_label_border_width="1px",
        checkbox_label_text_color_selected="#3a2392",
        checkbox_label_text_color_selected_dark="#e4dcff",
        checkbox_background_color_selected=ACCENT,
        checkbox_border_color_selected=ACCENT,
        slider_color=ACCENT,
        slider_color_dark="#9e84ff",
        button_primary_background_fill=GRADIENT,
        button_primary_background_fill_hover=GRADIENT_HOVER,
        button_primary_background_fill_dark=GRADIENT,
        button_primary_background_fill_hover_dark=GRADIENT_HOVER,
        button_primary_text_color="#ffffff",
        button_primary_text_color_dark="#ffffff",
        button_primary_border_color="transparent",
        button_primary_border_color_dark="transparent",
        button_primary_shadow="0 8px 20px -8px rgba(109, 74, 255, 0.55)",
        button_secondary_background_fill="#ffffff",
        button_secondary_background_fill_hover="#f5f2ff",
        button_secondary_background_fill_dark="#1f1d2b",
        button_secondary_background_fill_hover_dark="#2a2640",
        button_secondary_border_color="#e4e0f0",
        button_secondary_border_color_dark="#34304a",
        button_secondary_text_color="#2b2640",
        button_secondary_shadow="none",
        button_secondary_shadow_hover="0 2px 8px -4px rgba(24, 16, 64, 0.25)",
        button_secondary_shadow_active="none",
        button_cancel_shadow="none",
        button_cancel_shadow_hover="0 2px 8px -4px rgba(194, 36, 58, 0.35)",
        button_cancel_shadow_active="none",
        button_primary_shadow_hover="0 10px 24px -8px rgba(109, 74, 255, 0.65)",
        button_primary_shadow_active="none",
        button_secondary_text_color_dark="#e8e6f3",
        button_cancel_background_fill="#ffffff",
        button_cancel_background_fill_hover="#fff1f2",
        button_cancel_background_fill_dark="#1f1d2b",
        button_cancel_border_color="#f3c6cc",
        button_cancel_border_color_dark="#5c2a33",
        button_cancel_text_color="#c2243a",
        button_cancel_text_color_dark="#ff8b98",
        button_large_radius="14px",
        button_large_padding="14px 22px",
        button_large_text_weight="650",
        layout_gap="18px",
        color_accent_soft="#ece6ff",
        color_accent_soft_dark="#2b2250",
        loader_color=ACCENT,
    )


def _ratio_css() -> str:
    """A small frame-shape picture in front of each aspect-ratio choice."""
    rules = []
    for value in ASPECT_RATIOS:
        if ":" in value:
            w, h = (int(x) for x in value.split(":"))
            scale = 18 / max(w, h)
            width, height = max(6, round(w * scale)), max(6, round(h * scale))
            style = f"width:{width}px;height:{height}px;"
        else:
            style = "width:16px;height:12px;border-style:dashed;"
        rules.append(f'.sd-ratio [data-testid="{value}-radio-label"]::before{{{style}}}')
    return "\n".join(rules)


CSS_PATH = Path(__file__).with_name("studio.css")
STORYBOARD_CSS_PATH = Path(__file__).with_name("storyboard.css")
ASSIST_CSS_PATH = Path(__file__).with_name("assist") / "assist.css"  # the model's help (ui/assist/)


def build_css() -> str:
    """The page CSS: studio.css, the frame-shape pictures of the aspect-ratio choices, storyboard.css,
    assist/assist.css."""
    storyboard = STORYBOARD_CSS_PATH.read_text(encoding="utf-8") if STORYBOARD_CSS_PATH.is_file() else ""
    assist = ASSIST_CSS_PATH.read_text(encoding="utf-8")
    return "\n".join((CSS_PATH.read_text(encoding="utf-8"), _ratio_css(), storyboard, assist, ""))


# Keeps the progress card's clocks running between server renders (scripts/clock.js).
CLOCK_SCRIPT = f"<script>\n{script('clock.js')}</script>\n"

# Reference tag chips insert their tag into the prompt at the cursor (scripts/tag-chips.js).
TAG_CHIPS_SCRIPT = f"<script>\n{script('tag-chips.js')}</script>\n"

# An unsent Studio prompt survives a reload (scripts/prompt-draft.js).
PROMPT_DRAFT_SCRIPT = f"<script>\n{script('prompt-draft.js')}</script>\n"

# Repairs to Gradio's own markup for screen readers (a11y.js says which and why).
A11Y_SCRIPT = f"<script>\n{Path(__file__).with_name('a11y.js').read_text(encoding='utf-8')}</script>\n"

HEAD = """
<meta name="theme-color" content="#6d4aff">
<meta name="description"
      content="Seedance Studio: craft, generate and review Seedance 2.0 shots from words and pictures.">
<meta property="og:title" content="Seedance Studio">
<meta property="og:description"
      content="Craft, generate and review Seedance 2.0 shots from words and pictures, with live progress.">
""" + CLOCK_SCRIPT + TAG_CHIPS_SCRIPT + PROMPT_DRAFT_SCRIPT + A11Y_SCRIPT
