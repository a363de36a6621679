"""Pictures that enter through the page or `/generate`: files uploaded with the request, measured from
their header before anything decodes them.

Gradio's `gr.Image` opens, and with an `image_mode` converts, the whole upload in its `preprocess`,
before any handler runs: a 21 KB PNG can claim 13000x13000 pixels (gigabytes once decoded). And a
file value that is a bare `{"path": ...}` (no `meta`) skips Gradio's own check that the file was
uploaded, so it could name any file of the server. `guarded` puts a check in front of a `gr.Image`'s
`preprocess`: the value must be a file in Gradio's upload folder, and its header must keep to the
contract's limits (bytes, sides); otherwise a `gr.Error` names the field and the rule, and nothing was
decoded. `upload_problem` is the same "uploaded with the request" rule for `/generate`'s files.
`guarded_gallery` and `guarded_uploads` hold the references gallery and its "Add images" button to the
same rules, item by item.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.data_classes import FileData, ListFiles
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
            refuse(file_problem(field, payload))
        return preprocess(payload)

    postprocess = image.postprocess

    def handed_over(value: Any) -> Any:
        return postprocess(handed(value))

    image.preprocess = checked  # type: ignore[method-assign]
    image.postprocess = handed_over  # type: ignore[method-assign]
    return image


def guarded_gallery(gallery: gr.Gallery, field: Callable[[int], str]) -> gr.Gallery:
    """`gallery` (type="filepath") with `picture_problem` checked for every item before any handler gets
    its value (a `gr.Error` naming the item, `field(n)` for the n-th, otherwise): what the page sends as
    a gallery can name any server file, another visitor's input copy included. Server files a handler
    puts into the gallery (Reuse settings: a job's saved copies) go to the page as copies in the upload
    folder, so they come back as uploads."""
    preprocess = gallery.preprocess

    def checked(payload: Any) -> Any:
        for n, item in enumerate(getattr(payload, "root", None) or (), 1):
            media = getattr(item, "image", None) or getattr(item, "video", None)
            refuse(file_problem(field(n), media))
        return preprocess(payload)

    postprocess = gallery.postprocess

    def handed_over(value: Any) -> Any:
        items = [_handed_item(item) for item in value] if isinstance(value, list | tuple) else value
        return postprocess(items)

    gallery.preprocess = checked  # type: ignore[method-assign]
    gallery.postprocess = handed_over  # type: ignore[method-assign]
    return gallery


def guarded_uploads(button: gr.UploadButton, field: Callable[[int], str]) -> gr.UploadButton:
    """An upload button (type="filepath") whose files must be uploaded with the request and keep to the
    picture limits (`field(n)` names the n-th in a refusal): a handler that passes its files on (into the
    references gallery) would otherwise hand a named server file to the page as an upload."""
    preprocess = button.preprocess

    def checked(payload: Any) -> Any:
        files = payload.root if isinstance(payload, ListFiles) else [payload] if payload is not None else []
        for n, item in enumerate(files, 1):
            refuse(file_problem(field(n), item))
        return preprocess(payload)

    button.preprocess = checked  # type: ignore[method-assign]
    return button


def file_problem(field: str, payload: Any) -> str | None:
    """`picture_problem` for a file value the page sent (Gradio's FileData or ImageData): a `data:` URL
    or a missing path is not an upload either."""
    url = getattr(payload, "url", None)
    if payload is None or (isinstance(url, str) and url.startswith("data:")):
        return f"{field}: {UPLOADED_RULE}"
    return picture_problem(field, getattr(payload, "path", None))


def refuse(problem: str | None, *, toast: bool = True) -> None:
    """Raise the page's refusal for `problem` (a toast naming the field, unless the caller has said it
    already: `toast=False`), if any. A visitor's mistake, not the server's: Gradio is told not to print
    its traceback into the log."""
    if problem is not None:
        raise gr.Error(problem, title="Picture refused", visible=toast, print_exception=False)


def dropped_problem(field: str, payload: Any) -> str | None:
    """`file_problem` ("field: rule") for a picture value as the page sent it: a raw file dict (an event
    with `preprocess=False` gets one) or a FileData; None when there is none or it may be used. Nothing
    is decoded."""
    if payload is None:
        return None
    data = _file_data(payload)
    return file_problem(field, data) if data is not None else f"{field}: {UPLOADED_RULE}"


def dropped_refusal(label: str, payload: Any, problem: str) -> str:
    """`problem` as the visitor reads it at the control: the control's `label`, the file's own name and the
    rule ('First frame: "notes.png" is not a readable image (JPEG, PNG or WebP) — it was not kept.')."""
    data = _file_data(payload)
    rule = problem.partition(": ")[2] or problem
    name = Path(str(getattr(data, "orig_name", None) or getattr(data, "path", "") or "")).name
    named = f"“{name}” " if name else "the file "
    return f"{label}: {named}{rule} — it was not kept."


def _file_data(payload: Any) -> FileData | None:
    """`payload` as a FileData (raw dicts are validated into one); None when it is not a file value."""
    if isinstance(payload, FileData):
        return payload
    if isinstance(payload, dict):
        try:
            return FileData.model_validate(payload)
        except ValueError:
            return None
    path = getattr(payload, "path", None)
    return FileData(path=str(path), url=getattr(payload, "url", None)) if path else None


def _handed_item(item: Any) -> Any:
    """A gallery item (a path, or a (path, caption) pair) with its file `handed` over."""
    if isinstance(item, list | tuple) and item:
        return (handed(item[0]), *item[1:])
    return handed(item)


def handed(value: Any) -> Any:
    """A server file a handler puts into an input (a saved copy, a video's last frame) as a copy in the
    upload folder, so it comes back from the page as one the guards let through; anything else as is."""
    server_file = isinstance(value, str | Path) and str(value) and Path(value).is_file()
    if server_file and upload_problem("", value):
        return save_file_to_cache(value, get_upload_folder())
    return value
