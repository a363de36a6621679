"""The file API's routes on the simulator's HTTP handler (uploads need the key; file URLs are public)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from seedance_ui import options
from seedance_ui.addresses import AddressRefused
from seedance_ui.simulator.files import FileRefused, decode_base64, envelope, parse_multipart, refusal
from seedance_ui.simulator.media import public_client

if TYPE_CHECKING:
    from seedance_ui.simulator.server import Simulator

FETCH_TIMEOUT = 15.0
# Sample reference media the simulator hosts on its own origin (as the provider hosts its results), so a
# demo visitor without media at hand, or a server without web access, can try references end to end.
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "assets" / "samples"
SAMPLES_PREFIX = "/_sim/samples/"
SAMPLE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".mp4": "video/mp4", ".wav": "audio/wav"}


class FileRoutes:
    """Mixed into the simulator's Handler: POST uploads (stream, base64, url), GET quota and files."""

    sim: Simulator
    headers: Any
    _body: bytes

    # provided by the Handler
    def _authorised(self) -> bool: ...  # type: ignore[empty-body]
    def _passed_fault(self, route: str) -> bool: ...  # type: ignore[empty-body]
    def _send(self, status: int, body: bytes, content_type: str | None, headers: Any = None) -> None: ...
    def _send_json(self, status: int, data: Any) -> None: ...

    def _upload_stream(self) -> None:
        self._upload(self._multipart_file)

    def _upload_base64(self) -> None:
        self._upload(self._base64_file)

    def _upload_url(self) -> None:
        self._upload(self._fetched_file)

    def _files_quota(self) -> None:
        if self._authorised():
            self._send_json(200, envelope(self.sim.files.quota()))

    def _file(self, file_id: str) -> None:
        stored = self.sim.files.get(file_id)
        if stored is None:
            self._send(404, b"Not Found", "text/plain")
        else:
            self._send(200, stored.data, stored.mime_type, {"Cache-Control": "private, max-age=3600"})

    def _sample(self, name: str) -> None:
        """A file of SAMPLES_DIR by its plain name (nothing else of the disk: no folders, known types)."""
        path = SAMPLES_DIR / name
        kind = SAMPLE_TYPES.get(path.suffix.lower())
        if kind is None or path.parent != SAMPLES_DIR or not path.is_file():
            self._send(404, b"Not Found", "text/plain")
        else:
            self._send(200, path.read_bytes(), kind, {"Cache-Control": "public, max-age=86400"})

    # ------------------------------------------------------------ plumbing

    def _upload(self, read: Any) -> None:
        if not self._authorised() or not self._passed_fault("upload"):
            return
        try:
            name, data = read()
            stored = self.sim.files.add(data, name, self._upload_path())
        except FileRefused as refused:
            self._send_json(refused.status, refusal(refused.status, refused.msg))
            return
        self._send_json(200, envelope(stored.answer(self.sim.public_base_url or self.sim.base_url)))

    def _multipart_file(self) -> tuple[str, bytes]:
        fields = parse_multipart(self._body, self.headers.get("Content-Type", ""))
        if "file" not in fields:
            raise FileRefused(400, "file is required")
        filename, data = fields["file"]
        self._form = fields
        chosen = fields.get("file_name", (None, b""))[1].decode("utf-8", "replace")
        return chosen or filename or "upload", data

    def _base64_file(self) -> tuple[str, bytes]:
        return self._json_field("file_name") or "upload", decode_base64(self._json_field("base64_data"))

    def _json_field(self, name: str) -> Any:
        try:
            data = json.loads(self._body or b"{}")
        except ValueError:
            raise FileRefused(400, "body must be JSON") from None
        if not isinstance(data, dict):
            raise FileRefused(400, "body must be a JSON object")
        return data.get(name)

    def _upload_path(self) -> str:
        form = getattr(self, "_form", None)
        if form and "upload_path" in form:
            return form["upload_path"][1].decode("utf-8", "replace")
        if "json" in self.headers.get("Content-Type", ""):
            value = self._json_field("upload_path")
            return value if isinstance(value, str) else ""
        return ""

    def _fetched_file(self) -> tuple[str, bytes]:
        url = self._json_field("file_url")
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            raise FileRefused(400, "file_url must be an http(s) URL")
        try:
            with public_client(self.sim.trusts, FETCH_TIMEOUT) as http:
                response = http.get(url)
        except AddressRefused as refused:
            raise FileRefused(400, f"Failed to fetch file_url: the URL {refused.rule}") from None
        except httpx.HTTPError as exc:
            raise FileRefused(400, f"Failed to fetch file_url ({type(exc).__name__})") from None
        if response.status_code != 200 or len(response.content) > options.IMAGE_MAX_BYTES:
            raise FileRefused(400, f"Failed to fetch file_url (HTTP {response.status_code})")
        return url.rsplit("/", 1)[-1] or "upload", response.content
