"""Pictures that enter through the page or `/generate`: files uploaded with the request, measured from
their header before anything decodes them.

Gradio's `gr.Image` opens, and with an `image_mode` converts, the whole upload in its `preprocess`,
before any handler runs: a 21 KB PNG can claim 13000x13000 pixels (gigabytes once decoded). And a
file value that is a bare `{"path": ...}` (no `meta`) skips Gradio's own check that the file was
uploaded, so it could name any file of the server. `guarded` puts a check in front of a `gr.Image`'s
`preprocess`: the value must be a file in Gradio's upload folder, and its header must keep to the
contract's limits (bytes, sides); otherwise a `gr.Error` names the field and the rule, and nothing was
decoded. `upload_problem` is the same "uploaded with the request" rule for `/generate`'s files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from gradio.processing_utils import save_file_to_cache
from gradio.utils import get_upload_folder

from seedance_ui.client.media_rules import image_limit_problem, measure_image

UPLOADED_RULE = "must be a file uploaded with this request (gradio_client.handle_file), not a server path"


def upload_problem(field: str, path: Any) -> str | None:
    """"field: rule" when `path` is not a file in Gradio's upload folder (where files sent with a request
    land), None when it is. Symbolic links are followed before the check."""
    try:
        resolved = Path(str(path)).resolve(strict=True)
        folder = Path(get_upload_folder()).resolve()
    except (OSError, RuntimeError, ValueError):
        return f"{field}: {UPLOADED_RULE}"
    if not (resolved.is_file() and resolved.is_relative_to(folder)):
        return f"{field}: {UPLOADED_RULE}"
    return None


def picture_problem(field: str, path: Any) -> str | None:
    """"field: rule" for a picture value that was not uploaded with the request or whose header breaks
    the contract's limits (unreadable, too many bytes or pixels); None when it may be decoded."""
    problem = upload_problem(field, path)
    if problem is not None:
        return problem
    limit = image_limit_problem(field, measure_image(Path(str(path))))
    return f"{limit.field}: {limit.rule}" if limit is not None else None


def guarded(image: gr.Image, field: str) -> gr.Image:
    """`image` with `picture_problem` checked before Gradio's own preprocess opens its value (a
    `gr.Error` naming `field` otherwise). Give it `type="filepath"` and `image_mode=None`: Gradio then only
    reads the header itself, so even without the guard (a prop update rebuilds the component from its
    arguments) nothing decodes a picture Pillow's bomb limit refuses. A server file a handler returns into
    `image` is handed to the page as a copy in the upload folder (`handed_over`)."""
    preprocess = image.preprocess

    def checked(payload: Any) -> Any:
        if payload is not None:
            url = getattr(payload, "url", None)
            problem = (
                f"{field}: {UPLOADED_RULE}"
                if isinstance(url, str) and url.startswith("data:")
                else picture_problem(field, payload.path)
            )
            if problem is not None:
                raise gr.Error(problem, title="Picture refused")
        return preprocess(payload)

    postprocess = image.postprocess

    def handed_over(value: Any) -> Any:
        """A server file a handler puts into the input (a saved copy, a video's last frame) goes to the
        page as a copy in the upload folder, so it comes back as one the guard lets through."""
        server_file = isinstance(value, str | Path) and str(value) and Path(value).is_file()
        if server_file and upload_problem("", value):
            value = save_file_to_cache(value, get_upload_folder())
        return postprocess(value)

    image.preprocess = checked  # type: ignore[method-assign]
    image.postprocess = handed_over  # type: ignore[method-assign]
    return image
