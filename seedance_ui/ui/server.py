"""Launch settings shared by app.py and the tests: theme/css/head, allowed paths, extra routes.

Gradio 6 takes theme, css and head in launch(); run history is off; only the media folders of the data
directory may be served as files, in place (never its databases or boards); request bodies are size-capped;
`/healthz` (Docker HEALTHCHECK) and the provider webhook route are added to the FastAPI app Gradio builds.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from seedance_ui.config import Settings, load_settings
from seedance_ui.jobs import WEBHOOK_ROUTE
from seedance_ui.runtime import Runtime, build_runtime
from seedance_ui.security.edge import MAX_UPLOAD_MB, RequestSizeLimit, instant_request_bytes, served_paths
from seedance_ui.security.gate import Gate
from seedance_ui.security.identity import VisitorCookie
from seedance_ui.security.uploads import UploadLimit
from seedance_ui.ui.layout import ASSETS, QUEUE_SLOTS, build_demo
from seedance_ui.ui.mcp_server import agent_lifespan
from seedance_ui.ui.media_links import media_routes
from seedance_ui.ui.review.routes import review_routes
from seedance_ui.ui.theme import HEAD, build_css, build_theme

log = logging.getLogger("seedance_ui.ui")

MAX_WEBHOOK_BYTES = 256 * 1024


def extra_routes(runtime: Runtime) -> list[Route]:
    """`GET /healthz`, `POST /webhooks/seedance/{token}` and the review page's routes under `/review/`."""

    async def healthz(request: Request) -> JSONResponse:
        ok = runtime.manager.running
        body = {"status": "ok" if ok else "degraded", "mode": "demo" if runtime.demo_mode else "live"}
        if runtime.settings.replica_name:  # which replica answered (through the proxy: where one sticks)
            body["replica"] = runtime.settings.replica_name
        return JSONResponse(body, status_code=200 if ok else 503)

    async def webhook(request: Request) -> JSONResponse:
        # A delivery is only a hint: the manager confirms it with a GET before acting. Always 2xx, so
        # unknown tokens learn nothing and the provider does not retry needlessly.
        raw = await request.body()
        payload: Any = None
        if len(raw) <= MAX_WEBHOOK_BYTES:
            try:
                payload = json.loads(raw or b"null")
            except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
                payload = None
        try:
            await runtime.manager.handle_webhook(request.path_params["token"], payload)
        except Exception:
            log.exception("webhook handling failed")
        return JSONResponse({"ok": True})

    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route(WEBHOOK_ROUTE, webhook, methods=["POST"]),
        *review_routes(runtime),  # the reviewer's page of a shared board: /review/#<token>
        *media_routes(runtime.store, runtime.settings),  # SEEDANCE_MEDIA_DELIVERY=route: /media/<path>
    ]


REPLICA_COOKIE = "seedance_replica"  # deploy/nginx.conf maps its value to the replica of that name


class ReplicaCookie:
    """ASGI middleware: a response to a request whose `seedance_replica` cookie does not name this replica
    sets it to this replica's name (SEEDANCE_REPLICA_NAME), so a sticky proxy sends the page's later
    requests (queue, stream, files, uploads) here, and a visitor moved to another replica (this one
    went away) is moved for good. A session cookie: it carries no identity (the visitor cookie does)."""

    def __init__(self, app: Any, name: str) -> None:
        self.app = app
        self.name = name
        self.header = (b"set-cookie", f"{REPLICA_COOKIE}={name}; Path=/; HttpOnly; SameSite=Lax".encode())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or self._named_here(scope.get("headers") or ()):
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Any) -> None:
            if message.get("type") == "http.response.start":
                message["headers"] = [*(message.get("headers") or []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _named_here(self, headers: Any) -> bool:
        """The request's cookies already name this replica."""
        wanted = f"{REPLICA_COOKIE}={self.name}"
        for name, value in headers:
            cookies = value.decode("latin-1").split(";") if name.lower() == b"cookie" else []
            if wanted in (cookie.strip() for cookie in cookies):
                return True
        return False


def edge_middleware(runtime: Runtime) -> list[Middleware]:
    """Outermost first: the replica's route cookie (only with SEEDANCE_REPLICA_NAME), the gate (headers,
    deep links, events by name), body caps, anonymous uploads per address (and the sweep of Gradio's
    upload folder), the visitor cookie."""
    settings = runtime.settings
    instant = instant_request_bytes(settings.max_prompt_chars)
    uploads = {"trust_proxy": settings.trust_proxy, "max_files": settings.uploads_per_address,
               "max_mb": settings.uploads_per_address_mb, "keep_seconds": settings.upload_keep_minutes * 60,
               "folder": get_upload_folder(), "db": runtime.store.db}
    route = [Middleware(ReplicaCookie, name=settings.replica_name)] if settings.replica_name else []
    return [
        *route,
        Middleware(Gate, media_origins=runtime.store.media.origins()),  # presigned media: the bucket
        Middleware(RequestSizeLimit, instant_max_bytes=instant),
        Middleware(UploadLimit, **uploads),
        Middleware(VisitorCookie, identities=runtime.identities),
    ]


def launch_kwargs(runtime: Runtime, **overrides: Any) -> dict[str, Any]:
    """Everything `demo.launch()` needs; `overrides` win (tests pass a free port)."""
    settings = runtime.settings
    favicon = ASSETS / "favicon.png"
    # Only the media folders of the data directory are served; its databases and boards never are.
    allowed, blocked = served_paths(runtime.store.data_dir)
    kwargs: dict[str, Any] = {
        "server_name": settings.server_name,
        "server_port": settings.server_port,
        "allowed_paths": allowed,
        "blocked_paths": blocked,
        "max_file_size": f"{MAX_UPLOAD_MB}mb",
        "theme": build_theme(),
        "css": build_css(),
        "head": HEAD,
        "favicon_path": str(favicon) if favicon.is_file() else None,
        "footer_links": ["api", "gradio"],
        "run_history": False,
        "show_error": False,
        "app_kwargs": {
            "routes": extra_routes(runtime),
            "middleware": edge_middleware(runtime),
            "lifespan": agent_lifespan(settings),  # the MCP server lists exactly the agent tools
        },
        "ssr_mode": False,
        "max_threads": QUEUE_SLOTS,
        "mcp_server": settings.mcp,  # SEEDANCE_MCP; the agent tools at /gradio_api/mcp/
        "enable_monitoring": False,  # its /monitoring/summary would list our handlers' names and timings
    }
    kwargs.update(overrides)
    return kwargs


# Optional modules Gradio tries to import on every event; when absent, each try rescans sys.path.
OPTIONAL_IMPORTS_PER_EVENT = ("matplotlib",)


# After every event Gradio's queue rebuilds a pandas summary of its last 10,000 events for its
# monitoring dashboard, which we switch off (launch_kwargs): ~20 ms of interpreter time per event under
# load, in a worker thread that competes for the GIL with the page. Computed once per 10**9 events instead.
GRADIO_QUEUE_ENV = {"GRADIO_ANALYTICS_CACHE_FREQUENCY": str(10**9)}


def remember_missing_optional_imports() -> None:
    """Let a missing optional module fail at once: a None entry in sys.modules makes `import` raise
    ImportError without searching (Gradio's matplotlib backend guard runs twice per event)."""
    for name in OPTIONAL_IMPORTS_PER_EVENT:
        if name not in sys.modules and importlib.util.find_spec(name) is None:
            sys.modules[name] = None  # type: ignore[assignment]


def create_app(settings: Settings | None = None) -> tuple[gr.Blocks, Runtime]:
    """Build the runtime (starting the job manager, and the simulator in demo mode) and the page."""
    remember_missing_optional_imports()
    for name, value in GRADIO_QUEUE_ENV.items():  # read when the page's queue is built
        os.environ.setdefault(name, value)
    runtime = build_runtime(settings or load_settings())
    try:
        # Our media folders are static paths: Gradio serves their files where they are, instead of
        # checking each returned file against every allowed and blocked path and copying it into its
        # cache on the event loop (about a millisecond a file: a 60-item history per redraw). They are
        # still served only under the rules of launch_kwargs (allowed, and never a blocked path).
        gr.set_static_paths(served_paths(runtime.store.data_dir)[0])
        demo = build_demo(runtime)
    except BaseException:
        runtime.close()
        raise
    return demo, runtime
