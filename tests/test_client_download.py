"""download(): atomic, capped, MP4-checked and retried, against a tiny local HTTP server."""

import asyncio
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from seedance_ui.client import (
    DownloadError,
    RetryPolicy,
    SeedanceClient,
    VideoExpiredError,
    looks_like_mp4,
)

FAKE_KEY = "sk-FAKE-download-key-123456"
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 400  # ~100 kB
FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.005, max_total=5.0)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", ctype="video/mp4", length=None, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        server = self.server
        server.log.append((self.path, self.headers.get("Authorization")))
        hits = sum(p == self.path for p, _ in server.log)
        path = self.path
        if path == "/ok.mp4":
            self._send(200, MP4)
        elif path in ("/gone403", "/gone404", "/gone410"):
            body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            self._send(int(path[-3:]), body, "application/xml")
        elif path == "/huge-declared":
            self._send(200, MP4[:1000], length=10**9)
            self.close_connection = True
        elif path == "/huge-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(200):
                    chunk = MP4[:16384]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
        elif path == "/html":
            self._send(200, b"<html><body>Your video is ready! Click here</body></html>" * 5, "text/html")
        elif path == "/tiny":
            self._send(200, b"\x00\x00")
        elif path.startswith("/truncated"):
            if path == "/truncated-once" and hits > 1:
                self._send(200, MP4)
                return
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(MP4)))
            self.end_headers()
            self.wfile.write(MP4[: len(MP4) // 3])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif path == "/busy-then-ok":
            if hits == 1:
                busy = b'{"error": {"message": "busy"}}'
                self._send(503, busy, "application/json", headers={"Retry-After": "0"})
            else:
                self._send(200, MP4)
        elif path == "/slow":
            # The first kilobyte, then nothing until the test lets the rest go (or 60 s pass):
            # only the client's total timeout can end the download before that.
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(MP4)))
            self.end_headers()
            try:
                self.wfile.write(MP4[:1000])
                self.wfile.flush()
                server.slow_release.wait(60)
                self.wfile.write(MP4[1000:])
            except OSError:
                pass
        elif path == "/redirect":
            self._send(302, b"", "text/plain", headers={"Location": "/ok.mp4"})
        else:
            self._send(404, b"no such thing", "text/plain")


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.log = []
    httpd.slow_release = threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.slow_release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def url(server):
    server.log.clear()
    return lambda path: f"http://127.0.0.1:{server.server_address[1]}{path}"


def client(**kw):
    kw.setdefault("retry", FAST)
    return SeedanceClient(FAKE_KEY, "http://api.invalid", **kw)


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


async def test_a_good_download_is_saved_whole_without_the_api_key(url, server, tmp_path):
    target = tmp_path / "videos" / "job1.mp4"
    async with client() as c:
        assert await c.download(url("/ok.mp4"), target) == target
        assert await c.download(url("/redirect"), tmp_path / "videos" / "job2.mp4")
    assert target.read_bytes() == MP4
    assert leftovers(target.parent) == ["job1.mp4", "job2.mp4"]
    assert all(auth is None for _, auth in server.log), "the API key must not go to the video host"


@pytest.mark.parametrize("path", ["/gone403", "/gone404", "/gone410"])
async def test_expired_links_raise_video_expired_and_are_not_retried(url, server, tmp_path, path):
    async with client() as c:
        with pytest.raises(VideoExpiredError) as caught:
            await c.download(url(path), tmp_path / "v.mp4")
    assert "Request has expired" in caught.value.message and caught.value.status_code == int(path[-3:])
    assert leftovers(tmp_path) == [] and len(server.log) == 1


@pytest.mark.parametrize("path", ["/huge-declared", "/huge-chunked"])
async def test_oversized_videos_are_refused(url, tmp_path, path):
    async with client(max_download_bytes=200_000) as c:
        with pytest.raises(DownloadError) as caught:
            await c.download(url(path), tmp_path / "v.mp4")
    assert "limit" in caught.value.message and "SEEDANCE_MAX_DOWNLOAD_MB" in caught.value.hint
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("path", ["/html", "/tiny"])
async def test_non_mp4_bytes_are_refused(url, tmp_path, path):
    async with client() as c:
        with pytest.raises(DownloadError) as caught:
            await c.download(url(path), tmp_path / "v.mp4")
    assert "not an MP4" in caught.value.message
    assert leftovers(tmp_path) == []


async def test_a_partial_body_is_retried_then_saved(url, server, tmp_path):
    async with client() as c:
        await c.download(url("/truncated-once"), tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == MP4 and len(server.log) == 2
    assert leftovers(tmp_path) == ["v.mp4"]


async def test_a_partial_failure_leaves_nothing_and_keeps_an_old_file(url, server, tmp_path):
    old = tmp_path / "v.mp4"
    old.write_bytes(b"previous")
    async with client() as c:
        with pytest.raises(DownloadError):
            await c.download(url("/truncated-always"), old)
    assert len(server.log) == FAST.max_attempts
    assert old.read_bytes() == b"previous" and leftovers(tmp_path) == ["v.mp4"]


async def test_transient_status_is_retried(url, server, tmp_path):
    async with client() as c:
        await c.download(url("/busy-then-ok"), tmp_path / "v.mp4")
    assert len(server.log) == 2 and (tmp_path / "v.mp4").read_bytes() == MP4


async def test_total_timeout_leaves_nothing(url, tmp_path):
    # The server holds the rest of the body back for 60 s: only the 0.3 s total timeout ends this.
    async with client(download_timeout=0.3) as c:
        with pytest.raises(DownloadError) as caught:
            await c.download(url("/slow"), tmp_path / "v.mp4")
    assert "0.3 s" in caught.value.message
    assert leftovers(tmp_path) == []


async def test_cancelling_a_download_leaves_nothing(url, tmp_path):
    async with client() as c:
        job = asyncio.create_task(c.download(url("/slow"), tmp_path / "v.mp4"))
        await asyncio.sleep(0.2)
        assert any(name.endswith(".part") for name in leftovers(tmp_path))
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
    assert leftovers(tmp_path) == []


async def test_unreachable_host_and_bad_scheme(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    async with client() as c:
        with pytest.raises(DownloadError):
            await c.download(f"http://127.0.0.1:{port}/v.mp4", tmp_path / "v.mp4")
        with pytest.raises(DownloadError):
            await c.download("file:///etc/passwd", tmp_path / "v.mp4")
    assert leftovers(tmp_path) == []


def test_looks_like_mp4():
    assert looks_like_mp4(MP4[:8])
    assert not looks_like_mp4(b"\x00\x00\x00\x18moov")
    assert not looks_like_mp4(b"<html>ftyp")
