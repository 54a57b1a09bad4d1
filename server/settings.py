"""Configuration, read once from the `DOORSTEP_*` environment variables (DESIGN.md "Running it").

Nothing else in the server reads the environment.  `doorstep run` (embedded mode) fills in
development defaults and keeps generated secrets in the data directory; the production processes
(`serve`, `worker`, `beat`) refuse to start without real secrets.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

#: "test" makes password hashing nearly free, for the test suite only (tests/conftest.py)
ARGON2_PROFILES = ("production", "test")


class ConfigError(RuntimeError):
    """The configuration cannot work; the message tells the operator what to set."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str | None
    public_url: str | None
    vapid_private_key: str | None
    vapid_subject: str | None
    push_allow_private_endpoints: bool
    #: access tokens live this long; refresh tokens rotate on every use
    access_token_seconds: int = 900
    refresh_token_days: int = 60
    #: failed logins per username within the window before 429 (DOORSTEP_LOGIN_MAX_FAILURES)
    login_max_failures: int = 5
    #: failed logins per client address within the window before 429: higher, since a
    #: community office shares one address (DOORSTEP_LOGIN_MAX_FAILURES_PER_ADDRESS)
    login_max_failures_per_address: int = 50
    login_window_seconds: int = 300
    #: addresses/networks of the reverse proxies whose X-Forwarded-For is believed
    #: (DOORSTEP_TRUSTED_PROXIES, comma-separated; docker-compose.yml sets its network's CIDR).
    #: Anyone else's X-Forwarded-For is ignored: it could name any address and dodge the
    #: per-address login limit, or lock someone else out.
    trusted_proxies: str = "127.0.0.1"
    max_body_bytes: int = 1024 * 1024
    max_attachment_bytes: int = 5 * 1024 * 1024
    #: requests in progress per worker before the rest get 503 + Retry-After at once
    #: (DOORSTEP_MAX_IN_FLIGHT; server/http/overload.py)
    max_in_flight: int = 32
    #: argon2 cost: "production" (RFC 9106 low-memory) unless the test suite asks for "test"
    argon2_profile: str = "production"
    #: the command map's optional base map: an XYZ tile URL template ({z}/{x}/{y}, {s} for
    #: subdomains), and the datum its tiles are drawn in: "wgs84" (天地图 is CGCS2000, close
    #: enough) or "gcj02" (高德 and other mainland providers: the app shifts points to match)
    map_tile_url: str | None = None
    map_crs: str = "wgs84"
    #: the SMS platform (政务短信平台): its HTTP endpoint, the HMAC key the request body is
    #: signed with (and receipts are checked with), and the registered sender name
    sms_url: str | None = None
    sms_key: str | None = None
    sms_sender: str | None = None
    #: red warnings and dispatch orders wait this long for a push to be acknowledged before SMS
    sms_silence_seconds: int = 300
    #: SMS per org unit per Beijing day; past it only red warnings still go by SMS
    sms_daily_cap: int = 200
    #: the residents' door (server/public/): appeals per client address and per station per
    #: hour, tracking-code lookups per client address per 10 minutes
    #: (DOORSTEP_PUBLIC_APPEALS_PER_ADDRESS, _PER_STATION, DOORSTEP_PUBLIC_LOOKUPS_PER_ADDRESS)
    public_appeals_per_address: int = 10
    public_appeals_per_station: int = 120
    public_lookups_per_address: int = 60
    #: records of a month up to which its monthly workbook is built on request; a bigger
    #: scope's is built by the worker and stored (DOORSTEP_REPORT_ON_REQUEST_ROWS;
    #: server/command/archive.py)
    report_on_request_rows: int = 25_000
    #: how long a device's poke stream (`/api/sync/events`) stays open before it ends and the
    #: app reconnects with its scope read afresh (DOORSTEP_EVENT_STREAM_SECONDS; a proxy with a
    #: shorter idle or total timeout wants it lower)
    event_stream_seconds: int = 1800
    #: pokes one app process sends per second at most, over all its streams; under a burst the
    #: flagged streams wait their turn and their changes ride on one later poke, so the pulls
    #: pokes cause stay bounded however many devices a burst touches
    #: (DOORSTEP_POKES_PER_SECOND; server/replication/pokes.py)
    pokes_per_second: int = 20
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    def require_production_secrets(self) -> None:
        """Production processes must not run on generated or missing secrets."""
        missing = [
            name
            for name, value in (
                ("DOORSTEP_SECRET_KEY", self.secret_key),
                ("DOORSTEP_VAPID_PRIVATE_KEY", self.vapid_private_key),
                ("DOORSTEP_VAPID_SUBJECT", self.vapid_subject),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                "missing required configuration: "
                + ", ".join(missing)
                + " (run `doorstep vapid-keys` to make a VAPID key pair)"
            )
        assert self.secret_key is not None
        if len(self.secret_key) < 32:
            raise ConfigError("DOORSTEP_SECRET_KEY must be at least 32 characters")


def load_settings() -> Settings:
    data_dir = Path(_env("DOORSTEP_DATA_DIR", "./var") or "./var").resolve()
    database_url = _env("DOORSTEP_DATABASE_URL") or f"sqlite:///{data_dir / 'doorstep.sqlite3'}"
    if not (database_url.startswith("sqlite:///") or database_url.startswith("postgres")):
        raise ConfigError(
            "DOORSTEP_DATABASE_URL must be sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
        )
    argon2_profile = _env("DOORSTEP_ARGON2_PROFILE", "production") or "production"
    if argon2_profile not in ARGON2_PROFILES:
        raise ConfigError("DOORSTEP_ARGON2_PROFILE must be one of: " + ", ".join(ARGON2_PROFILES))
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=_env("DOORSTEP_REDIS_URL"),
        secret_key=_env("DOORSTEP_SECRET_KEY"),
        public_url=_env("DOORSTEP_PUBLIC_URL"),
        vapid_private_key=_env("DOORSTEP_VAPID_PRIVATE_KEY"),
        vapid_subject=_env("DOORSTEP_VAPID_SUBJECT"),
        push_allow_private_endpoints=_env("DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS", "0") == "1",
        argon2_profile=argon2_profile,
        trusted_proxies=_trusted_proxies(),
        login_max_failures=_positive_int("DOORSTEP_LOGIN_MAX_FAILURES", 5),
        login_max_failures_per_address=_positive_int("DOORSTEP_LOGIN_MAX_FAILURES_PER_ADDRESS", 50),
        max_in_flight=_positive_int("DOORSTEP_MAX_IN_FLIGHT", 32),
        map_tile_url=_map_tile_url(),
        map_crs=_map_crs(),
        sms_url=_env("DOORSTEP_SMS_URL"),
        sms_key=_env("DOORSTEP_SMS_KEY"),
        sms_sender=_env("DOORSTEP_SMS_SENDER"),
        sms_silence_seconds=_positive_int("DOORSTEP_SMS_SILENCE_SECONDS", 300),
        sms_daily_cap=_positive_int("DOORSTEP_SMS_DAILY_CAP", 200),
        public_appeals_per_address=_positive_int("DOORSTEP_PUBLIC_APPEALS_PER_ADDRESS", 10),
        public_appeals_per_station=_positive_int("DOORSTEP_PUBLIC_APPEALS_PER_STATION", 120),
        public_lookups_per_address=_positive_int("DOORSTEP_PUBLIC_LOOKUPS_PER_ADDRESS", 60),
        report_on_request_rows=_positive_int("DOORSTEP_REPORT_ON_REQUEST_ROWS", 25_000),
        event_stream_seconds=_positive_int("DOORSTEP_EVENT_STREAM_SECONDS", 1800),
        pokes_per_second=_positive_int("DOORSTEP_POKES_PER_SECOND", 20),
    )


MAP_CRSES = ("wgs84", "gcj02")


def _map_tile_url() -> str | None:
    url = _env("DOORSTEP_MAP_TILE_URL")
    if url is None:
        return None
    if not url.startswith(("https://", "http://")) or not all(
        part in url for part in ("{z}", "{x}", "{y}")
    ):
        raise ConfigError(
            "DOORSTEP_MAP_TILE_URL must be an http(s) XYZ tile template with {z}, {x} and {y}"
        )
    return url


def _map_crs() -> str:
    crs = (_env("DOORSTEP_MAP_CRS", "wgs84") or "wgs84").lower()
    if crs not in MAP_CRSES:
        raise ConfigError("DOORSTEP_MAP_CRS must be one of: " + ", ".join(MAP_CRSES))
    return crs


def _trusted_proxies() -> str:
    import ipaddress

    raw = _env("DOORSTEP_TRUSTED_PROXIES") or _env("FORWARDED_ALLOW_IPS") or "127.0.0.1"
    items = [item.strip() for item in raw.split(",") if item.strip()]
    for item in items:
        if item == "*":
            raise ConfigError(
                "DOORSTEP_TRUSTED_PROXIES must list the proxies' addresses or networks, not '*'"
            )
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ConfigError(
                f"DOORSTEP_TRUSTED_PROXIES: {item!r} is not an IP address or network"
            ) from exc
    return ",".join(items)


def _positive_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{name} must be a positive whole number, not {raw!r}")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def embedded_secret(settings: Settings, name: str) -> str:
    """A secret for embedded mode, generated once and kept in the data directory."""
    path = settings.data_dir / f".{name}"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value
