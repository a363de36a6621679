"""Gradio's video player and download button, taking a presigned link of the bucket as a value (#22).

`LinkedVideo` and `LinkedDownload` render with Gradio's own frontends ("video", "downloadbutton"); their
postprocess passes a `FileData` whose `url` is http-like through untouched, so Gradio's processing_utils
keeps the URL and the browser fetches the file from the bucket (ui/media_links.py makes the value). Any
other value (a local path) is handled as by gr.Video / gr.DownloadButton. Gradio writes a `.pyi` stub
beside a module that defines components (`players.pyi`, ignored by git): so they live alone here.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.data_classes import FileData


class LinkedVideo(gr.Video):
    """gr.Video that also takes a `FileData` holding a presigned link as its value."""

    def get_block_name(self) -> str:
        return "video"

    def postprocess(self, value: Any) -> FileData | None:
        return value if isinstance(value, FileData) else super().postprocess(value)


class LinkedDownload(gr.DownloadButton):
    """gr.DownloadButton that also takes a `FileData` holding a presigned link as its value."""

    def get_block_name(self) -> str:
        return "downloadbutton"

    def postprocess(self, value: Any) -> FileData | None:
        return value if isinstance(value, FileData) else super().postprocess(value)
