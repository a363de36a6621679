"""Links to media files the studio hands out (#22, item 3): one place, `MediaLinks.link(rel_path)`.

Where the files are fetched from follows SEEDANCE_MEDIA_URL and SEEDANCE_MEDIA_DELIVERY:

- no bucket: Gradio's file route of the data directory (`gradio_api/file=...`), as always;
- `presigned`: a short-lived presigned URL of the bucket, so the browser (or agent) fetches the bytes
  from the bucket and no replica streams them. Gradio's players take it as a `FileData` whose `url` is
  http-like (processing_utils keeps it and the browser fetches it): the players of ui/players.py
  accept that value;
- `route`: the bucket is private to the servers: `media/<rel_path>` on the studio, an owner-checked
  route (`media_route`) that serves the replica's read-through copy; Gradio's players get that copy.

The bucket must allow GET from the studio's origin (CORS) for presigned videos: Gradio's player sets
`crossorigin="anonymous"` (README, Running several replicas).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gradio.data_classes import FileData
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from seedance_ui.security.identity import owner_in_scope
from seedance_ui.security.key_owner import address_owner, header_key, key_owner
from seedance_ui.security.owners import client_host
from seedance_ui.store import HistoryStore
from seedance_ui.store.objects import check_key
from seedance_ui.store.quota import BOARDS_DIRNAME, EXPORTS_DIRNAME, owner_folder
from seedance_ui.ui.views import file_url

MEDIA_ROUTE_PREFIX = "media"  # route delivery: GET /media/<rel_path>
NO_STORE = {"Cache-Control": "private, no-store"}


class MediaLinks:
    """Links to the files of one store (`HistoryStore`, whose `media` says where they live)."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store

    @property
    def delivery(self) -> str:
        return self.store.media.delivery  # "local", "presigned" or "route"

    def link(self, rel_path: str | None, *, download: bool = False) -> str | None:
        """The URL a browser or agent fetches `rel_path` (relative to the data directory) from: absolute
        when presigned, else page-relative (join it with `absolute`). None for no path, or (with no
        bucket) a file that is missing. Nothing is fetched here: the bucket has what a record names."""
        if not rel_path:
            return None
        rel = check_key(rel_path)
        if self.delivery == "presigned":
            return self.store.media.presign(rel, download_name=Path(rel).name if download else None)
        if self.delivery == "route":
            return f"{MEDIA_ROUTE_PREFIX}/{quote(rel)}"
        path = self.store.resolve(rel)
        return file_url(path) if path is not None and path.is_file() else None

    def link_of(self, path: Path | str | None, **kwargs: Any) -> str | None:
        """`link` of an absolute path inside the data directory."""
        return None if path is None else self.link(self.store.relative(path), **kwargs)

    @staticmethod
    def absolute(base_url: str, link: str | None) -> str | None:
        """A page-relative link made absolute on `base_url`; presigned links are absolute already."""
        if link is None or link.startswith(("http://", "https://")):
            return link
        return f"{base_url.rstrip('/')}/{link}"

    def player(self, rel_path: str | None, *, download: bool = False) -> FileData | str | None:
        """The value for a player of ui/players.py (video, download button) of a stored file: presigned, a
        `FileData` whose url the browser fetches from the bucket (this replica fetches nothing), else
        the local path (read through from the bucket when this replica lacks it); None when missing."""
        if not rel_path:
            return None
        if self.delivery == "presigned":
            url = self.link(rel_path, download=download)
            name = Path(rel_path).name
            return FileData(path=url, url=url, orig_name=name, mime_type=mimetypes.guess_type(name)[0])
        path = self.store.resolve(rel_path)
        return str(path) if path is not None and path.is_file() else None


def file_owner_matches(store: HistoryStore, rel: str, owner: str) -> bool:
    """Whether `owner` owns the file `rel`: a job's video or poster (its record), an input picture one of
    their jobs uses, or a file in their boards or exports folder."""
    parts = rel.split("/")
    if len(parts) == 2 and parts[0] in ("videos", "posters"):
        record = store.get(Path(parts[1]).stem, owner)
        return record is not None and rel in (record.video_path, record.poster_path)
    if parts[0] == "inputs":
        return store.db.owner_has_input(owner, rel)
    if len(parts) >= 3 and parts[0] in (BOARDS_DIRNAME, EXPORTS_DIRNAME):
        return parts[1] == owner_folder(owner)
    return False


def request_owners(request: Request, settings: Any) -> list[str]:
    """Who may be asking: the visitor of the cookie, and the owner an agent's call would have (its key
    header's, else its network address's unless every caller must bring a key), as agent_api decides."""
    owners = [owner_in_scope(request)]
    try:
        key = header_key(request.headers)
    except ValueError:
        key = None
    if key is not None:
        owners.append(key_owner(key))
    elif not (settings.require_user_key or settings.sign_in):
        owners.append(address_owner(client_host(request, trust_proxy=settings.trust_proxy)))
    return [owner for owner in owners if owner]


def media_routes(store: HistoryStore, settings: Any) -> list[Route]:
    """`GET /media/<rel_path>` (route delivery only): the asker's own file, else 404 for anything else
    (another visitor's file, a path outside the media folders, or a file the bucket does not have)."""
    if store.media.delivery != "route":
        return []

    def allowed(rel: str, owners: list[str]) -> bool:
        return any(file_owner_matches(store, rel, owner) for owner in owners)

    async def media(request: Request) -> Response:
        try:
            rel = check_key(request.path_params["rel"])
        except ValueError:
            return JSONResponse({"error": "Not found."}, 404, headers=NO_STORE)
        mine = await run_in_threadpool(allowed, rel, request_owners(request, settings))
        path = await run_in_threadpool(store.resolve, rel) if mine else None  # read-through
        if path is None or not path.is_file():
            return JSONResponse({"error": "Not found."}, 404, headers=NO_STORE)
        return FileResponse(path, headers=NO_STORE)

    return [Route(f"/{MEDIA_ROUTE_PREFIX}/{{rel:path}}", media, methods=["GET", "HEAD"])]
