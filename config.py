"""Configuration classes: pick one with ``create_app(ConfigClass)``.

SQLite in ``instance/`` is the embedded default; ``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL``
makes Redis the Socket.IO message queue so several processes can push to each other's clients.

``SECRET_KEY`` signs tokens. Unset in development, ``config_from_env`` makes a random one on first run and
keeps it in ``instance/secret_key`` (mode 0600), so no two installs share a key; production refuses to start
without one (docs/security.md).
"""

import contextlib
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("BATTLEMAP_INSTANCE_DIR") or BASE_DIR / "instance")


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs and bare postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _origins(text: str) -> tuple[str, ...]:
    """``"https://a.example, https://b.example/"`` → ("https://a.example", "https://b.example"): scheme and host
    lower-cased, no trailing slash, as browsers send ``Origin``."""
    return tuple(o.strip().rstrip("/").lower() for o in text.split(",") if o.strip())


def _duty(text: str) -> dict | None:
    """``"1-5 09:00-18:00"`` → {"days": [1..5], "start": "09:00", "end": "18:00"} (ISO weekdays); ``"all"`` → None."""
    if text.strip().lower() == "all":
        return None
    days, _, hours = text.strip().partition(" ")
    first, _, last = days.partition("-")
    start, _, end = hours.partition("-")
    return {"days": list(range(int(first), int(last or first) + 1)), "start": start, "end": end}


def _hours(text: str) -> tuple[int, int] | None:
    """``"7-21"`` → (7, 21); ``"all"`` → None (every hour)."""
    if text.strip().lower() == "all":
        return None
    start, _, end = text.partition("-")
    return int(start), int(end)


DEV_SECRET = "dev-only-secret-change-me"
"""The fixed key of earlier versions: never used to sign anything again (a token signed with it is refused)."""
SECRET_MIN_LENGTH = 16


def instance_secret(instance_dir: Path = INSTANCE_DIR) -> str:
    """The random key kept in ``instance_dir/secret_key``, made (0600, 256 bits) the first time.

    Written to a temporary file and linked into place, so processes starting together all read the same
    complete key; whoever links first wins.
    """
    path = Path(instance_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another process linked its key first: use that one
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < SECRET_MIN_LENGTH:
        raise RuntimeError(f"{path} holds no usable key; delete it to make a new one.")
    return key


def _env_secret() -> str | None:
    key = os.environ.get("SECRET_KEY") or None
    return None if key == DEV_SECRET else key


class Config:
    SECRET_KEY = _env_secret()  # None: config_from_env fills it from instance/secret_key (development only)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'battlemap.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Tokens (docs/security.md): a short access token, a refresh token that is rotated on every use, and a
    # server-side session behind both, so logout, a password change or a deactivation ends them at once.
    ACCESS_TOKEN_TTL_S = 3600
    REFRESH_TOKEN_TTL_S = 30 * 24 * 3600  # idle limit: a session unused this long ends
    SESSION_MAX_AGE_S = 90 * 24 * 3600  # absolute limit: log in again at least this often
    REFRESH_GRACE_S = 60  # the previous refresh token still works this long (an answer lost on a bad network)
    LOGIN_LOCK_AFTER = 5  # failed logins in a row for one email, then a lockout ...
    LOGIN_LOCK_BASE_S = 30  # ... of this long, doubling with every further failure ...
    LOGIN_LOCK_MAX_S = 900  # ... up to this; a success (or LOGIN_FAILURE_WINDOW_S without failures) resets it
    LOGIN_FAILURE_WINDOW_S = 3600
    # Input limits (docs/security.md): request bodies, JSON nesting, socket events.
    MAX_CONTENT_LENGTH = 1_000_000  # bytes per request body (413 beyond)
    LARGE_BODY_MAX_BYTES = 5_000_000  # pack create / version / validate (a whole pack, JSON or YAML)
    EVENTS_BODY_MAX_BYTES = 8_000_000  # POST /events: 500 events × the longest notes still fit
    JSON_MAX_DEPTH = 32  # arrays/objects nested deeper are refused with 400
    FIELD_EVENT_MAX_BYTES = 1_000_000  # a /field event larger than this gets an error ack (event_too_large) ...
    FIELD_TRANSPORT_MAX_BYTES = 4_000_000  # ... and one beyond this closes the connection (Engine.IO limit)
    # Fixes judged against the server clock (docs/security.md): dropped as future_timestamp / stale beyond;
    # None switches a bound off (TestConfig does: tests drive synthetic timelines of fix times).
    FIX_MAX_AHEAD_S: int | None = 300
    FIX_MAX_BEHIND_S: int | None = 24 * 3600
    # Fence state saved as it changes: every this many seconds (Redis with REDIS_URL, else rep_fence_states).
    FENCE_STATE_FLUSH_S = 2.0
    FENCE_STATE_KEY = os.environ.get("FENCE_STATE_KEY", "battlemap:fence:")
    JSON_AS_ASCII = False
    # Browsers (docs/security.md "Headers" and "CORS"): other sites' pages allowed to call the API and /field
    # (empty: the app's own origin only); image hosts the map may load tiles from (the tile URL set in the app);
    # HSTS (seconds) is sent by production only.
    CORS_ORIGINS = _origins(os.environ.get("CORS_ORIGINS", ""))
    MAP_TILE_ORIGINS = tuple(os.environ.get(
        "MAP_TILE_ORIGINS", "https://*.is.autonavi.com https://*.map.gtimg.com https://tile.openstreetmap.org"
    ).replace(",", " ").split())
    HSTS_SECONDS: int | None = None
    # Fence settings (see docs/geo.md); fix timestamps drive them, not the wall clock.
    FENCE_EXIT_MARGIN_M = 50.0
    FENCE_COOLDOWN_S = 1800
    FENCE_DWELL_S = 300
    FENCE_MAX_ACCURACY_M = 200.0
    FENCE_MAX_SPEED_MPS = 70.0
    FENCE_SESSION_GAP_S = 1800
    FIX_RETENTION_DAYS = 30  # stored fixes (rep_fixes) for the console replay; purged by the scheduler
    # only on-duty fixes are stored: local hours [start, end) in TIMEZONE; None = all (env: "7-21" or "all")
    FIX_STORE_HOURS = _hours(os.environ.get("FIX_STORE_HOURS", "7-21"))
    # Location only while on duty (docs/privacy.md): the schedule of reps whose region sets none; "all" = always.
    # Laptop and test installs default to "all" (demos and tests run at any hour); production to weekdays 9–18.
    DUTY_DEFAULT = _duty(os.environ.get("DUTY_DEFAULT", "1-5 09:00-18:00"))
    CONTACT_LINK_DAYS = 14  # a contact's own link (docs/privacy.md) expires after this many days
    FIX_FLUSH_S = 2.0  # stored fixes are written in one INSERT every this many seconds ...
    FIX_BUFFER_MAX = 200  # ... or this many fixes, whichever comes first (docs/replay.md)
    # Who is connected to /field now, across processes (a Redis hash when REDIS_URL is set).
    PRESENCE_KEY = os.environ.get("PRESENCE_KEY", "battlemap:presence")
    # How often a process checks the shared change counters (geo index, catalog, content) in seconds.
    STATE_POLL_S = 2.0
    PLACES_MAX_RADIUS_M = 50_000
    # The weekly digest (docs/learning.md) is POSTed as JSON here when set; unset: stored and shown only.
    DIGEST_WEBHOOK_URL = os.environ.get("DIGEST_WEBHOOK_URL") or None
    DIGEST_WEBHOOK_TIMEOUT_S = 10.0
    POPUP_NOTICE_DAYS = 92
    LOGIN_RATE_LIMIT = (10, 60)  # attempts per window seconds, per email + address
    DEFAULT_LOCALE = "zh"
    TIMEZONE = "Asia/Shanghai"  # trigger rules' time-of-day conditions are local time
    PWA_DIR = BASE_DIR / "pwa" / "dist"  # built by `npm run build` (make does it)
    MIGRATIONS_DIR = BASE_DIR / "migrations"
    CONTENT_PACKS_DIR = BASE_DIR / "content_packs"


class DevelopmentConfig(Config):
    DEBUG = False
    DUTY_DEFAULT = _duty(os.environ.get("DUTY_DEFAULT", "all"))


class ProductionConfig(Config):
    HSTS_SECONDS = 31_536_000  # a year; browsers honour it only over HTTPS

    @classmethod
    def check(cls) -> None:
        """Refuse to start without a real key: none, the old fixed dev key or a short one."""
        key = cls.SECRET_KEY
        if not key or key == DEV_SECRET or len(key) < SECRET_MIN_LENGTH:
            raise RuntimeError(f"Set SECRET_KEY (at least {SECRET_MIN_LENGTH} random characters) before running "
                               "in production, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'.")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    LOGIN_RATE_LIMIT = (5, 60)
    # Tests replay days of fixes at chosen times (on-duty hours, dwell minutes); the clock rules have their own
    # tests (tests/test_security_field.py) and are on in every real server.
    FIX_MAX_AHEAD_S = None
    FIX_MAX_BEHIND_S = None
    DUTY_DEFAULT = None  # tests/test_privacy_duty.py sets schedules of its own


def config_from_env():
    """The config class named by ``BATTLEMAP_CONFIG`` (development by default).

    Production refuses to start without ``SECRET_KEY``; development without one uses the install's own random
    key from ``instance/secret_key`` (made on the first run, kept for the next).
    """
    name = os.environ.get("BATTLEMAP_CONFIG", "development")
    config = {"development": DevelopmentConfig, "production": ProductionConfig, "test": TestConfig}[name]
    if config is ProductionConfig:
        config.check()
    elif not config.SECRET_KEY:
        config = type(config.__name__, (config,), {"SECRET_KEY": instance_secret(INSTANCE_DIR)})
    return config
