"""HTTP plumbing of the simulator: routing, auth, faults, error styles, video streaming."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
import socket
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from seedance_ui import options
from seedance_ui.simulator.chat import ChatRoutes
from seedance_ui.simulator.errors import error_body
from seedance_ui.simulator.faults import OVERSIZED_BYTES, Fault
from seedance_ui.simulator.file_routes import FileRoutes
from seedance_ui.simulator.validation import Invalid, validate_create

if TYPE_CHECKING:
    from seedance_ui.simulator.server import Simulator

logger = logging.getLogger("seedance_ui.simulator")

VIDEO_PREFIX = "/_sim/videos/"
ADMIN_PREFIX = "/_sim/"
MAX_BODY_BYTES = 1 << 20
FILE_API_PREFIX = "/api/v1/files/"
MAX_UPLOAD_BODY_BYTES = 48 << 20  # a 30 MB image, as base64 in JSON or in a multipart form
_CHUNK = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EXPIRED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


class Server(ThreadingHTTPServer):
    """Threading server that can end its open keep-alive connections on stop."""

    daemon_threads = True
    block_on_close = False
    simulator: Simulator

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(path).replace(re.escape("{task_id}"), "([^/]+)") + "$")


# (pattern, method, handler method name); the first pattern that matches the path decides.
_ROUTES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (_pattern(options.CREATE_PATH), "POST", "_create"),
    (_pattern(options.CANCEL_PATH), "POST", "_cancel"),
    (_pattern(options.TASK_PATH), "GET", "_get_task"),
    (_pattern(options.CREDITS_PATH), "GET", "_credits"),
    (_pattern(options.UPLOAD_STREAM_PATH), "POST", "_upload_stream"),
    (_pattern(options.UPLOAD_BASE64_PATH), "POST", "_upload_base64"),
    (_pattern(options.UPLOAD_URL_PATH), "POST", "_upload_url"),
    (_pattern(options.FILES_QUOTA_PATH), "GET", "_files_quota"),
    (_pattern(options.CHAT_PATH), "POST", "_chat"),
    (re.compile(r"^/files/([^/]+)/[^/]+$"), "GET", "_file"),
    (re.compile(r"^/_sim/samples/([A-Za-z0-9_-]+\.[a-z0-9]+)$"), "GET", "_sample"),
    (re.compile(r"^/_sim/videos/([^/]+)\.mp4$"), "GET", "_video"),
    (re.compile(r"^/_sim/inject$"), "POST", "_admin_inject"),
    (re.compile(r"^/_sim/behaviour$"), "POST", "_admin_behaviour"),
    (re.compile(r"^/_sim/reset$"), "POST", "_admin_reset"),
    (re.compile(r"^/_sim/log$"), "GET", "_admin_log"),
    (re.compile(r"^/_sim/health$"), "GET", "_admin_health"),
)


class Handler(ChatRoutes, FileRoutes, BaseHTTPRequestHandler):
    """One connection; routes requests to the simulator's state."""

    protocol_version = "HTTP/1.1"
    server_version = "SeedanceSimulator/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections end after this
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms stalls
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    @property
    def sim(self) -> Simulator:
        return self.server.simulator

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def send_response(self, code: int, message: str | None = None) -> None:
        self.sim.log_request(self.command or "", getattr(self, "_route_path", self.path or ""), code)
        super().send_response(code, message)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    # ------------------------------------------------------------ plumbing

    def _dispatch(self) -> None:
        self._route_path = urlsplit(self.path).path
        try:
            self._body = self._read_body()
            if self._body is None:
                return
            self._route()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True
        except Exception:
            logger.exception("simulator error on %s %s", self.command, self.path)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send_error(500)

    def _route(self) -> None:
        allowed = []
        for pattern, method, name in _ROUTES:
            match = pattern.match(self._route_path)
            if not match:
                continue
            if method == self.command:
                getattr(self, name)(*(unquote(group) for group in match.groups()))
                return
            allowed.append(method)
        if allowed:
            self._send_error(
                405, message=f"Method {self.command} not allowed", headers={"Allow": ", ".join(allowed)}
            )
        else:
            self._send_error(404, message=f"Unknown endpoint {self._route_path}")

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 413 for an oversized one."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        limit = MAX_UPLOAD_BODY_BYTES if self._route_path.startswith(FILE_API_PREFIX) else MAX_BODY_BYTES
        if length > limit:
            self.close_connection = True
            self._send_error(413)
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(
        self, status: int, body: bytes, content_type: str | None, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json")

    def _send_error(
        self,
        status: int,
        *,
        code: str | None = None,
        message: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        style = self.sim.behaviour.error_style
        body, content_type = error_body(status, style, code=code, message=message, param=param)
        self._send(status, body, content_type, headers)

    def _send_admin_error(self, message: str) -> None:
        body, content_type = error_body(400, "nested", message=message)
        self._send(400, body, content_type)

    def _answer_fault(self, fault: Fault) -> None:
        self.sim.wait(fault.delay)
        if fault.body is None:
            body, content_type = error_body(fault.status, self.sim.behaviour.error_style)
        else:
            body, content_type = fault.body, fault.content_type
        self._send(fault.status, body, content_type, fault.headers)

    def _authorised(self) -> bool:
        """True for an acceptable bearer key; otherwise answers 401 and returns False."""
        scheme, _, token = self.headers.get("Authorization", "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            self._send_error(401, message="Missing API key: send 'Authorization: Bearer <API key>'.")
            return False
        if self.sim.api_key is not None and not hmac.compare_digest(
            token.encode(), self.sim.api_key.encode()
        ):
            self._send_error(401, message="Invalid API key. Check the key and try again.")
            return False
        return True

    # ------------------------------------------------------------ API routes

    def _create(self) -> None:
        if not self._authorised():
            return
        fault = self.sim.take_fault("create")
        if fault is not None and not fault.passes_through and not fault.create_task:
            self._answer_fault(fault)
            return
        try:
            params = validate_create(_json_or_none(self._body))
        except Invalid as exc:
            self._send_error(400, code="invalid_parameters", message=exc.message, param=exc.param)
            return
        label = demo_label(self.headers.get(options.DEMO_LABEL_HEADER, ""))
        task = self.sim.create_task(params, self.sim.fetch_media(params), label)
        if fault is not None and not fault.passes_through:
            self._answer_fault(fault)
            return
        if fault is not None:
            self.sim.wait(fault.delay)
        self._send_json(200, self.sim.initial_snapshot(task))

    def _get_task(self, task_id: str) -> None:
        if not self._authorised():
            return
        if not self._passed_fault("get"):
            return
        snap = self.sim.snapshot(task_id)
        if snap is None:
            self._send_error(404, code="task_not_found", message=f"Task {task_id} not found")
        elif self.sim.behaviour.malformed_json_polls:
            text = json.dumps(snap).encode()
            self._send(200, text[: len(text) // 2], "application/json")
        else:
            self._send_json(200, snap)

    def _cancel(self, task_id: str) -> None:
        if not self._authorised() or not self._passed_fault("cancel"):
            return
        outcome, snap = self.sim.cancel(task_id)
        if outcome == "unknown":
            self._send_error(404, code="task_not_found", message=f"Task {task_id} not found")
        elif outcome == "ok":
            self._send_json(200, snap)
        else:
            self._send_error(
                409,
                code="task_not_cancellable",
                message=f"Task {task_id} cannot be cancelled: it is {outcome}",
            )

    def _credits(self) -> None:
        if self._authorised() and self._passed_fault("credits"):
            self._send_json(200, self.sim.credits())

    def _passed_fault(self, route: str) -> bool:
        """False after answering an injected error; True (after any delay) to answer normally."""
        fault = self.sim.take_fault(route)
        if fault is None:
            return True
        if not fault.passes_through:
            self._answer_fault(fault)
            return False
        self.sim.wait(fault.delay)
        return True

    # ------------------------------------------------------------ video

    def _video(self, task_id: str) -> None:
        if not self._passed_fault("video"):
            return
        spec = self.sim.video_spec(task_id)
        behaviour = self.sim.behaviour
        if spec is None:
            self._send(404, b"Not Found", "text/plain")
        elif behaviour.video_expired:
            self._send(403, _EXPIRED_XML, "application/xml")
        elif behaviour.oversized_video:
            self._stream_oversized(claim_length=behaviour.oversized_video == "content_length")
        else:
            self._send_file(self.sim.videos.get(spec))

    def _send_file(self, path: Path) -> None:
        size = path.stat().st_size
        start, end, status = 0, size - 1, 200
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=86400"}
        requested = self.headers.get("Range")
        if requested:
            parsed = _parse_range(requested, size)
            if parsed is None:
                self._send(416, b"", None, {"Content-Range": f"bytes */{size}"})
                return
            start, end, status = *parsed, 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        self.send_response(status)
        self.send_header("Content-Type", "video/mp4")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        with path.open("rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = handle.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    def _stream_oversized(self, *, claim_length: bool) -> None:
        """A valid ftyp box, an mdat header, then zeros up to ~2 GiB, generated as the client reads."""
        ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
        mdat = b"\x00\x00\x00\x01mdat" + (OVERSIZED_BYTES - len(ftyp)).to_bytes(8, "big")
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        if claim_length:
            self.send_header("Content-Length", str(OVERSIZED_BYTES))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(ftyp + mdat)
        sent, zeros = len(ftyp) + len(mdat), memoryview(bytes(_CHUNK))
        while sent < OVERSIZED_BYTES and not self.sim.stopping:
            step = min(_CHUNK, OVERSIZED_BYTES - sent)
            self.wfile.write(zeros[:step])
            sent += step

    # ------------------------------------------------------------ admin

    def _admin_kwargs(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self._body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._send_admin_error("body must be a JSON object")
            return None
        return data

    def _admin_inject(self) -> None:
        kwargs = self._admin_kwargs()
        if kwargs is None:
            return
        try:
            self.sim.inject(**kwargs)
        except (TypeError, ValueError) as exc:
            self._send_admin_error(str(exc))
            return
        self._send_json(200, {"ok": True})

    def _admin_behaviour(self) -> None:
        kwargs = self._admin_kwargs()
        if kwargs is None:
            return
        try:
            self.sim.set_behaviour(**kwargs)
        except (TypeError, ValueError) as exc:
            self._send_admin_error(str(exc))
            return
        self._send_json(200, {"ok": True, "behaviour": asdict(self.sim.behaviour)})

    def _admin_reset(self) -> None:
        self.sim.reset()
        self._send_json(200, {"ok": True})

    def _admin_log(self) -> None:
        self._send_json(200, self.sim.log_snapshot())

    def _admin_health(self) -> None:
        self._send_json(200, {"ok": True, "speed": self.sim.speed})


def _json_or_none(body: bytes) -> Any:
    """The parsed body; None (which validation rejects) when empty or not JSON."""
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end) of a single "bytes=a-b" range within `size`, or None when unsatisfiable."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.groups()
    if not first:
        length = int(last)
        return (max(0, size - length), size - 1) if length > 0 else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    return (start, end) if start <= end < size else None


def demo_label(header: str) -> str:
    """The studio's label for a clip as its header carries it (percent-encoded UTF-8), decoded, without
    control characters, at most `options.MAX_DEMO_LABEL_CHARS` long; "" when none was sent."""
    text = _CONTROL.sub(" ", unquote(header[: 3 * 4 * options.MAX_DEMO_LABEL_CHARS], errors="replace"))
    return " ".join(text.split())[: options.MAX_DEMO_LABEL_CHARS]
