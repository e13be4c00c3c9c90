"""Configuration classes: pick one with ``create_app(ConfigClass)``.

SQLite in ``instance/`` is the embedded default; ``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL``
makes Redis the Socket.IO message queue so several processes can push to each other's clients.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs and bare postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


DEV_SECRET = "dev-only-secret-change-me"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{BASE_DIR / 'instance' / 'battlemap.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    TOKEN_MAX_AGE_S = 7 * 24 * 3600
    JSON_AS_ASCII = False
    # Fence settings (see docs/geo.md); fix timestamps drive them, not the wall clock.
    FENCE_EXIT_MARGIN_M = 50.0
    FENCE_COOLDOWN_S = 1800
    FENCE_DWELL_S = 300
    FENCE_MAX_ACCURACY_M = 200.0
    FENCE_MAX_SPEED_MPS = 70.0
    FENCE_SESSION_GAP_S = 1800
    FIX_RETENTION_DAYS = 30  # stored fixes (rep_fixes) for the console replay; purged by the scheduler
    FIX_STORE_HOURS = (7, 21)  # only on-duty fixes are stored: local hours [start, end) in TIMEZONE; None = all
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


class ProductionConfig(Config):
    @classmethod
    def check(cls) -> None:
        if cls.SECRET_KEY == DEV_SECRET:
            raise RuntimeError("Set SECRET_KEY before running in production.")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    LOGIN_RATE_LIMIT = (5, 60)


def config_from_env():
    """The config class named by ``BATTLEMAP_CONFIG`` (development by default); production refuses the dev key."""
    name = os.environ.get("BATTLEMAP_CONFIG", "development")
    config = {"development": DevelopmentConfig, "production": ProductionConfig, "test": TestConfig}[name]
    if config is ProductionConfig:
        config.check()
    return config
