"""All configuration, read once from the environment and an optional `.env` file."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv

from seedance_ui.options import DEFAULT_BASE_URL, DEFAULT_FILES_URL, DEFAULT_LLM_BASE_URL, DEFAULT_LLM_MODEL


class ConfigError(ValueError):
    """A variable is set to something we cannot use; the message names it and the rule."""


def _get(env: dict[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    return value if value else default


def _float(env: dict[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = _get(env, name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _int(env: dict[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = _get(env, name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = _get(env, name, "1" if default else "0").lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Every knob of the studio; see `.env.example` for what each one does."""

    api_key: str = field(default="", repr=False)
    base_url: str = DEFAULT_BASE_URL
    files_url: str = DEFAULT_FILES_URL  # the provider's file API (uploads of local images)
    data_dir: Path = Path("data")
    poll_interval: float = 5.0
    request_timeout: float = 30.0
    download_timeout: float = 300.0
    max_download_mb: int = 500
    max_jobs_in_flight: int = 8
    max_jobs_per_owner: int = 2
    public_url: str = ""
    simulator_speed: float = 10.0
    server_name: str = "127.0.0.1"
    server_port: int = 7860
    # Hosting safety (see seedance_ui/jobs/budget.py and seedance_ui/security/): 0 turns a limit off.
    daily_budget_credits: float = 0.0  # all visitors together, on the server's key, per UTC day
    visitor_daily_budget_credits: float = 0.0  # one visitor, on the server's key, per UTC day
    visitor_submits_per_minute: int = 0  # one visitor, any key (auto: on beyond loopback)
    visitor_max_unfinished_jobs: int = 0  # one visitor's jobs waiting or being made (auto: as above)
    require_user_key: bool = False  # every generation needs the visitor's own key
    max_prompt_chars: int = 10000  # longest prompt accepted at our edge
    visitor_disk_mb: int = 500  # one visitor's files on disk: job inputs, boards, exports (0: off)
    uploads_per_address_mb: int = 200  # anonymous file uploads per client address per hour (0: off)
    uploads_per_address: int = 100  # how many of them per client address per hour (0: off)
    upload_keep_minutes: int = 60  # uploaded files older than this are swept from Gradio's upload folder
    undo_seconds: float = 10.0  # how long a delete (history item, shot, take, board) can be undone
    sign_in: bool = False  # "Sign in with Hugging Face": the owner becomes hf:<username>
    on_space: bool = False  # running on Hugging Face Spaces (SPACE_ID set): the page is in an iframe
    # Trusted proxies in front of the app (0: none, True: one): the client address is the X-Forwarded-For
    # hop the outermost one added, counted from the right (security.owners.forwarded_hop).
    trust_proxy: int = 0
    mcp: bool = True  # the MCP server for agents at /gradio_api/mcp/ (seedance_ui/ui/agent_api.py)
    # Crafting with a chat model (seedance_ui/llm/): off removes the features.
    llm: bool = True
    llm_model: str = DEFAULT_LLM_MODEL
    llm_base_url: str = DEFAULT_LLM_BASE_URL  # without /v1
    llm_timeout: float = 120.0  # one chat request, seconds
    visitor_daily_llm_tokens: int = 200_000  # one visitor's chat tokens per UTC day, not on their own key
    # Where the store lives: "" = SQLite in the data directory; postgresql://... = PostgreSQL (replicas).
    database_url: str = field(default="", repr=False)  # may hold a password: never in a repr
    # Replicas on PostgreSQL (seedance_ui/jobs/leases.py): one follower per unfinished job under a lease.
    lease_seconds: float = 15.0  # a job's lease lasts this long unless its holder renews it
    lease_scan_seconds: float = 5.0  # how often a replica looks for jobs whose lease expired (takes them)
    change_poll_seconds: float = 1.0  # how often a replica reads which jobs other replicas changed
    # Behind a proxy with sticky sessions (deploy/nginx.conf): this replica's name, sent as a route cookie.
    replica_name: str = ""  # "" = no route cookie (one process)
    # Media in S3-compatible object storage (seedance_ui/store/objects.py): "" = the data directory only.
    media_url: str = ""  # s3://bucket/prefix; endpoint and credentials from the standard AWS_* variables
    media_delivery: str = "presigned"  # "presigned": the browser fetches from the bucket; "route": we stream
    media_link_seconds: int = 900  # how long a presigned media link works

    @property
    def demo_mode(self) -> bool:
        """True when no server key is configured: the built-in simulator stands in for the API."""
        return not self.api_key

    @property
    def max_download_bytes(self) -> int:
        return self.max_download_mb * 1024 * 1024


def load_settings(env: dict[str, str] | None = None, *, dotenv_path: str | Path | None = ".env") -> Settings:
    """Settings from `env` (default: the process environment after loading `.env`)."""
    if env is None:
        if dotenv_path is not None and Path(dotenv_path).is_file():
            load_dotenv(dotenv_path, override=False)
        env = dict(os.environ)
    settings = Settings(
        api_key=_get(env, "EVOLINK_API_KEY", ""),
        base_url=_get(env, "EVOLINK_BASE_URL", DEFAULT_BASE_URL).rstrip("/"),
        files_url=_get(env, "EVOLINK_FILES_URL", DEFAULT_FILES_URL).rstrip("/"),
        data_dir=Path(_get(env, "SEEDANCE_DATA_DIR", "data")).expanduser(),
        poll_interval=_float(env, "SEEDANCE_POLL_INTERVAL", 5.0, minimum=0.01),
        request_timeout=_float(env, "SEEDANCE_REQUEST_TIMEOUT", 30.0, minimum=0.1),
        download_timeout=_float(env, "SEEDANCE_DOWNLOAD_TIMEOUT", 300.0, minimum=1.0),
        max_download_mb=_int(env, "SEEDANCE_MAX_DOWNLOAD_MB", 500, minimum=1),
        max_jobs_in_flight=_int(env, "SEEDANCE_MAX_JOBS_IN_FLIGHT", 8, minimum=1),
        max_jobs_per_owner=_int(env, "SEEDANCE_MAX_JOBS_PER_OWNER", 2, minimum=1),
        public_url=_get(env, "SEEDANCE_PUBLIC_URL", "").rstrip("/"),
        simulator_speed=_float(env, "SEEDANCE_SIMULATOR_SPEED", 10.0, minimum=0.01),
        server_name=_get(env, "GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=_int(env, "GRADIO_SERVER_PORT", 7860, minimum=1),
        daily_budget_credits=_float(env, "SEEDANCE_DAILY_BUDGET_CREDITS", 0.0),
        visitor_daily_budget_credits=_float(env, "SEEDANCE_VISITOR_DAILY_BUDGET_CREDITS", 0.0),
        visitor_submits_per_minute=_hosted_limit(env, "SEEDANCE_VISITOR_SUBMITS_PER_MINUTE",
                                                 HOSTED_SUBMITS_PER_MINUTE),
        visitor_max_unfinished_jobs=_hosted_limit(env, "SEEDANCE_VISITOR_MAX_UNFINISHED_JOBS",
                                                  HOSTED_MAX_UNFINISHED_JOBS),
        require_user_key=_bool(env, "SEEDANCE_REQUIRE_USER_KEY", False),
        max_prompt_chars=_int(env, "SEEDANCE_MAX_PROMPT_CHARS", 10000, minimum=100),
        visitor_disk_mb=_int(env, "SEEDANCE_VISITOR_DISK_MB", 500),
        uploads_per_address_mb=_int(env, "SEEDANCE_UPLOADS_PER_ADDRESS_MB", 200),
        uploads_per_address=_int(env, "SEEDANCE_UPLOADS_PER_ADDRESS", 100),
        upload_keep_minutes=_int(env, "SEEDANCE_UPLOAD_KEEP_MINUTES", 60, minimum=1),
        undo_seconds=_float(env, "SEEDANCE_UNDO_SECONDS", 10.0, minimum=1.0),
        sign_in=_sign_in(env),
        on_space=bool(env.get("SPACE_ID")),
        trust_proxy=_trust_proxy(env),
        mcp=_bool(env, "SEEDANCE_MCP", True),
        llm=_bool(env, "SEEDANCE_LLM", True),
        llm_model=_llm_model(env),
        llm_base_url=_llm_base_url(env),
        llm_timeout=_float(env, "SEEDANCE_LLM_TIMEOUT", 120.0, minimum=1.0),
        visitor_daily_llm_tokens=_int(env, "SEEDANCE_VISITOR_DAILY_LLM_TOKENS", 200_000),
        database_url=_database_url(env),
        lease_seconds=_float(env, "SEEDANCE_LEASE_SECONDS", 15.0, minimum=1.0),
        lease_scan_seconds=_float(env, "SEEDANCE_LEASE_SCAN_SECONDS", 5.0, minimum=0.1),
        change_poll_seconds=_float(env, "SEEDANCE_CHANGE_POLL_SECONDS", 1.0, minimum=0.05),
        replica_name=_replica_name(env),
        media_url=_media_url(env),
        media_delivery=_media_delivery(env),
        media_link_seconds=_media_link_seconds(env),
    )
    _check_sign_in(settings, real_oauth=bool(env.get("SPACE_ID") and env.get("OAUTH_CLIENT_SECRET")))
    return settings


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_sign_in(settings: Settings, *, real_oauth: bool) -> None:
    """Without real OAuth credentials (a Space's OAUTH_CLIENT_SECRET) Gradio mocks sign-in and signs its
    session cookie with a fixed, public key, so anyone could claim any `hf:<user>`: allowed only while
    the server listens on loopback, for local testing."""
    if settings.sign_in and not real_oauth and not is_loopback(settings.server_name):
        raise ConfigError(
            "SEEDANCE_SIGN_IN is on without real OAuth credentials, so sign-in would be mocked with a "
            f"public signing key while listening on {settings.server_name!r}. Run on a Space with "
            "`hf_oauth: true` (which sets OAUTH_CLIENT_SECRET), set SEEDANCE_SIGN_IN=0, or listen on "
            "loopback only (GRADIO_SERVER_NAME=127.0.0.1) to try sign-in locally."
        )


def _trust_proxy(env: dict[str, str]) -> int:
    """SEEDANCE_TRUST_PROXY: how many trusted proxies stand in front of the app: 1/0 (on/off), a number
    of proxies, or unset/"auto": one when running on a Space (behind its proxy), else none."""
    name = "SEEDANCE_TRUST_PROXY"
    raw = _get(env, name, "auto").lower()
    if raw == "auto":
        return 1 if env.get("SPACE_ID") else 0
    if raw.isdigit():
        return _int(env, name, 0)
    try:
        return int(_bool(env, name, False))
    except ConfigError:
        raise ConfigError(
            f"{name} must be auto, 1/0 (on/off) or the number of proxies in front of the app, got {raw!r}"
        ) from None


# Per-visitor limits that are on by default when the server listens beyond loopback (auto).
HOSTED_SUBMITS_PER_MINUTE = 6
HOSTED_MAX_UNFINISHED_JOBS = 6


def _hosted_limit(env: dict[str, str], name: str, hosted: int) -> int:
    """A per-visitor limit: a whole number (0: off), or unset/"auto": `hosted` when the server listens
    beyond loopback (GRADIO_SERVER_NAME), off on loopback (only this machine can reach it)."""
    if _get(env, name, "auto").lower() == "auto":
        return 0 if is_loopback(_get(env, "GRADIO_SERVER_NAME", Settings.server_name)) else hosted
    return _int(env, name, 0)


_LLM_MODEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}")


def _llm_model(env: dict[str, str]) -> str:
    """SEEDANCE_LLM_MODEL: a chat model id as the provider names it (letters, digits, . _ : / -)."""
    value = _get(env, "SEEDANCE_LLM_MODEL", DEFAULT_LLM_MODEL)
    if not _LLM_MODEL_RE.fullmatch(value):
        raise ConfigError(
            f"SEEDANCE_LLM_MODEL must be a model id such as {DEFAULT_LLM_MODEL!r} (letters, digits, "
            f"'.', '_', ':', '/', '-'; at most 100), got {value!r}"
        )
    return value


REPLICA_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")  # a cookie value and an nginx map key as it is


def _replica_name(env: dict[str, str]) -> str:
    """SEEDANCE_REPLICA_NAME: unset, or 1-32 of a-z 0-9 _ - starting with a letter or digit."""
    return _matching(env, "SEEDANCE_REPLICA_NAME", REPLICA_NAME_RE,
                     "unset or 1-32 lowercase letters, digits, '_' or '-' starting with a letter or "
                     "digit (the name deploy/nginx.conf maps to this replica)")


def _matching(env: dict[str, str], name: str, pattern: re.Pattern[str], rule: str) -> str:
    """The variable `name`: unset (""), or a value `pattern` matches whole; else a ConfigError with `rule`."""
    value = _get(env, name, "")
    if value and not pattern.fullmatch(value):
        raise ConfigError(f"{name} must be {rule}, got {value!r}")
    return value


DATABASE_URL_SCHEMES = ("postgresql", "postgres")  # SEEDANCE_DATABASE_URL's schemes (PostgreSQL)


def _database_url(env: dict[str, str]) -> str:
    """SEEDANCE_DATABASE_URL: unset (SQLite in the data directory) or a postgresql:// URL. The message
    of a bad value names only its scheme: the rest may hold a password."""
    name = "SEEDANCE_DATABASE_URL"
    value = _get(env, name, "")
    if not value:
        return ""
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in DATABASE_URL_SCHEMES:
        shown = f"a {scheme}:// URL" if scheme else "a value that is no URL"
        raise ConfigError(
            f"{name} must be unset (SQLite in the data directory) or a PostgreSQL URL such as "
            f"postgresql://user:password@host:5432/seedance, got {shown}"
        )
    return value


MEDIA_URL_RE = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/[A-Za-z0-9._/-]*)?")  # bucket rules
MEDIA_DELIVERIES = ("presigned", "route")  # SEEDANCE_MEDIA_DELIVERY's values
MIN_MEDIA_LINK_SECONDS = 1
MAX_MEDIA_LINK_SECONDS = 604800  # S3's longest presigned link: 7 days


def _media_url(env: dict[str, str]) -> str:
    """SEEDANCE_MEDIA_URL: unset (the data directory only) or s3://bucket[/prefix] with a valid bucket
    name (3-63 of a-z 0-9 . -) and a prefix of letters, digits and . _ / -."""
    return _matching(env, "SEEDANCE_MEDIA_URL", MEDIA_URL_RE,
                     "unset (media in the data directory) or s3://bucket/prefix with a valid bucket name "
                     "(3-63 lowercase letters, digits, '.', '-') such as s3://seedance-media/studio").rstrip("/")


def _media_delivery(env: dict[str, str]) -> str:
    """SEEDANCE_MEDIA_DELIVERY: presigned (the browser fetches from the bucket) or route (we stream it)."""
    name = "SEEDANCE_MEDIA_DELIVERY"
    value = _get(env, name, MEDIA_DELIVERIES[0]).lower()
    if value not in MEDIA_DELIVERIES:
        raise ConfigError(f"{name} must be one of {', '.join(MEDIA_DELIVERIES)}, got {value!r}")
    return value


def _media_link_seconds(env: dict[str, str]) -> int:
    """SEEDANCE_MEDIA_LINK_SECONDS: a presigned link's lifetime, 1 s to S3's maximum of 7 days."""
    name = "SEEDANCE_MEDIA_LINK_SECONDS"
    value = _int(env, name, Settings.media_link_seconds, minimum=MIN_MEDIA_LINK_SECONDS)
    if value > MAX_MEDIA_LINK_SECONDS:
        raise ConfigError(f"{name} must be at most {MAX_MEDIA_LINK_SECONDS} (S3's 7 days), got {value}")
    return value


def _llm_base_url(env: dict[str, str]) -> str:
    """SEEDANCE_LLM_BASE_URL: an http(s) URL written without /v1, like EVOLINK_BASE_URL."""
    name = "SEEDANCE_LLM_BASE_URL"
    value = _get(env, name, DEFAULT_LLM_BASE_URL).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be an http(s) URL such as {DEFAULT_LLM_BASE_URL}, got {value!r}")
    if parts.path.rstrip("/").endswith("/v1"):
        raise ConfigError(f"{name} is written without /v1 (like EVOLINK_BASE_URL), got {value!r}")
    return value


def _sign_in(env: dict[str, str]) -> bool:
    """SEEDANCE_SIGN_IN: 1/0, or unset/"auto": on when running on a Space with OAuth (hf_oauth: true)."""
    raw = _get(env, "SEEDANCE_SIGN_IN", "auto").lower()
    if raw == "auto":
        return bool(env.get("SPACE_ID") and env.get("OAUTH_CLIENT_ID"))
    return _bool(env, "SEEDANCE_SIGN_IN", False)
