"""The continuity sample: a board with a cast of two (drawn here, no files shipped), shots that name them,
a chained cut and a shot that extends the video before it, ready to price and generate (in demo mode the
simulator answers).

The pictures are drawn with Pillow from fixed shapes, so every visitor gets the same two images (and the
client's upload cache sends each once).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw

from seedance_ui.options import MODEL_FAST
from seedance_ui.storyboard.cast import store_bytes
from seedance_ui.storyboard.model import Board
from seedance_ui.storyboard.page import SAMPLE_STYLE
from seedance_ui.storyboard.validation import FROM_LAST_FRAME, FROM_VIDEO

CONTINUITY_TITLE = "The lighthouse keeper — continuity sample"
PICTURE_SIZE = (768, 512)
KEEPER, LIGHTHOUSE = "the keeper", "the lighthouse"
# (title, cast names, how it continues the shot before it (None: it does not), prompt)
CONTINUITY_SHOTS = (
    ("Storm at dusk", (LIGHTHOUSE,), None,
     "Wide establishing shot of @[the lighthouse] on a black rock as a storm rolls in at dusk, waves "
     "exploding against the cliffs, slow aerial push-in"),
    ("The keeper", (KEEPER,), None,
     "@[the keeper] climbs the spiral stairs with an oil lamp, warm flicker on his weathered face, rain "
     "streaking the small window behind him"),
    ("The beam", (KEEPER, LIGHTHOUSE), FROM_LAST_FRAME,
     "In the same moment, @[the keeper] lights the great lamp of @[the lighthouse]; the beam sweeps "
     "across the dark sea and finds a small fishing boat"),
    ("The boat", (), FROM_VIDEO,
     "The camera follows the beam down to the fishing boat as it turns towards the harbour, spray "
     "glittering in the light"),
)


def _vertical_gradient(draw: ImageDraw.ImageDraw, size: tuple[int, int], top: tuple, bottom: tuple) -> None:
    width, height = size
    for y in range(height):
        t = y / max(1, height - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line((0, y, width, y), fill=colour)


def draw_lighthouse() -> Image.Image:
    """A striped lighthouse on a rock under a stormy dusk sky, its lamp lit."""
    image = Image.new("RGB", PICTURE_SIZE)
    draw = ImageDraw.Draw(image)
    _vertical_gradient(draw, PICTURE_SIZE, (34, 46, 78), (196, 120, 84))
    draw.polygon([(0, 420), (230, 330), (520, 360), (768, 430), (768, 512), (0, 512)], fill=(24, 24, 30))
    for i, y in enumerate(range(140, 340, 40)):  # the tower, narrowing upwards, red and white bands
        inset = (340 - y) // 10
        colour = (226, 60, 52) if i % 2 else (238, 236, 228)
        draw.rectangle((330 + inset, y, 430 - inset, y + 40), fill=colour)
    draw.rectangle((342, 104, 418, 140), fill=(255, 214, 90))  # the lamp room
    draw.polygon([(332, 104), (380, 70), (428, 104)], fill=(40, 40, 46))
    draw.polygon([(418, 112), (768, 60), (768, 170)], fill=(255, 236, 160))  # the beam
    return image


def draw_keeper() -> Image.Image:
    """An old keeper in a yellow oilskin coat holding a lamp, against a warm interior."""
    image = Image.new("RGB", PICTURE_SIZE)
    draw = ImageDraw.Draw(image)
    _vertical_gradient(draw, PICTURE_SIZE, (92, 58, 40), (30, 22, 20))
    draw.ellipse((314, 80, 454, 220), fill=(226, 182, 150))  # face
    draw.chord((300, 60, 468, 170), 180, 360, fill=(210, 210, 214))  # grey hair
    draw.ellipse((350, 130, 372, 146), fill=(40, 30, 28))
    draw.ellipse((396, 130, 418, 146), fill=(40, 30, 28))
    draw.rectangle((340, 180, 428, 232), fill=(232, 232, 236))  # beard
    draw.polygon([(240, 512), (290, 250), (478, 250), (528, 512)], fill=(236, 188, 40))  # coat
    draw.ellipse((520, 300, 600, 380), fill=(255, 220, 120))  # the lamp
    draw.rectangle((548, 270, 572, 300), fill=(60, 50, 40))
    return image


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def continuity_sample(owner: str, media_dir: Path) -> Board:
    """A new board of `owner` with the cast of two stored in `media_dir`'s cast folder (not saved)."""
    board = Board(owner=owner, title=CONTINUITY_TITLE, style=SAMPLE_STYLE, quality="480p", model=MODEL_FAST)
    board.media_dir = Path(media_dir)
    for name, picture in ((KEEPER, draw_keeper()), (LIGHTHOUSE, draw_lighthouse())):
        data = _png(picture)
        digest = hashlib.sha256(data).hexdigest()
        board.add_cast(name, digest, store_bytes(board.media_dir, digest, ".png", data))
    ids = {entry.name: entry.id for entry in board.cast}
    for title, cast, continues, prompt in CONTINUITY_SHOTS:
        board.add_shot(
            title=title,
            prompt=prompt,
            cast=[ids[n] for n in cast],
            chain=continues is not None,
            continues=continues or FROM_LAST_FRAME,
        )
    return board
