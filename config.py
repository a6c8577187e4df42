"""Configuration classes, read from the environment.

The embedded default (DevelopmentConfig) needs nothing: SQLite under instance/, an in-memory
rate-limit store and the local SMTP sink that `make run` starts on port 8025.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
_INSTANCE = Path(os.environ.get("CRM_INSTANCE_DIR") or BASE_DIR / "instance")


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(value: str) -> str:
    """Use psycopg 3 for a plain postgresql:// URL (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


# The development secret, refused in production. A constant: were it read from the environment,
# a real SECRET_KEY would count as the development one and production would never start.
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 (known on purpose; refused in production)


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{_INSTANCE / 'crm.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled connection idle this long is pinged before use (a firewall may have dropped it);
    # one in steady use only if the server has closed it (a restart), which spares a busy
    # request a round trip. One that breaks anyway answers that request 503 and is replaced
    # (crm.db.ping_when_idle).
    DATABASE_PING_AFTER_IDLE_SECONDS = float(
        os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS", "2")
    )
    INSTANCE_DIR = str(_INSTANCE)

    # Sessions and cookies: never readable from scripts, not sent cross-site on POST.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 14
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 8
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    # Largest priority document accepted (below MAX_CONTENT_LENGTH, so the form can say why).
    POLICY_UPLOAD_MAX_BYTES = int(os.environ.get("POLICY_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    # Largest Sales Award evidence file (each; also below MAX_CONTENT_LENGTH).
    AWARD_UPLOAD_MAX_BYTES = int(os.environ.get("AWARD_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # An unreachable Redis must refuse a limited form within a second (503), not hold a worker
    # for the operating system's connect timeout. Ignored by the memory store.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # How many reverse proxies stand in front of the app (X-Forwarded-For hops to trust).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    RESET_RATE_LIMIT = os.environ.get("RESET_RATE_LIMIT", "5 per minute;20 per hour")
    # After this many wrong passwords in a row an account is locked for LOCKOUT_MINUTES.
    LOCKOUT_THRESHOLD = 10
    LOCKOUT_MINUTES = 15
    PASSWORD_RESET_MAX_AGE = 60 * 60  # seconds
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name, not a password)

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "8025"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Indie Music Europe <noreply@indiemusic.example>"
    )
    MAIL_MESSAGE_ID_DOMAIN = os.environ.get("MAIL_MESSAGE_ID_DOMAIN", "indiemusic.example")
    MAIL_BATCH_SIZE = int(os.environ.get("MAIL_BATCH_SIZE", "100"))
    # A claimed delivery whose worker vanished is taken back after this many seconds.
    MAIL_CLAIM_LEASE = int(os.environ.get("MAIL_CLAIM_LEASE", "300"))
    # Bulk mail: where the List-Unsubscribe mailto goes, how fast workers may send (0 = no
    # limit; MAIL_RATE_PER_SECOND paces EACH worker, so n workers send up to n times it, while
    # MAIL_RATE_PER_HOUR is one budget shared by all workers), and the failure rate
    # (failed + hard-bounced over processed, once MAIL_PAUSE_MIN_SAMPLE are processed) at
    # which a mailing pauses itself.
    MAIL_UNSUBSCRIBE_ADDRESS = os.environ.get(
        "MAIL_UNSUBSCRIBE_ADDRESS", "unsubscribe@indiemusic.example"
    )
    MAIL_RATE_PER_SECOND = float(os.environ.get("MAIL_RATE_PER_SECOND", "0"))
    MAIL_RATE_PER_HOUR = int(os.environ.get("MAIL_RATE_PER_HOUR", "0"))
    MAIL_PAUSE_FAILURE_RATE = float(os.environ.get("MAIL_PAUSE_FAILURE_RATE", "0.1"))
    MAIL_PAUSE_MIN_SAMPLE = int(os.environ.get("MAIL_PAUSE_MIN_SAMPLE", "50"))
    # Bearer token for POSTing raw bounce messages to /mailings/bounces (unset: endpoint off).
    BOUNCE_API_TOKEN = os.environ.get("BOUNCE_API_TOKEN")
    # Envelope sender (Return-Path) of all outgoing mail, where bounces arrive (unset: the From).
    MAIL_BOUNCE_ADDRESS = os.environ.get("MAIL_BOUNCE_ADDRESS")
    # PostgreSQL: commit each sent mark with a disk flush (see crm/mailings/worker_marks.py).
    # The flush overlaps the next message's envelope, so it costs little. Off is faster, but a
    # crash of the PostgreSQL server (not of a worker) can forget the last fraction of a
    # second of marks, and those messages are then sent again.
    MAIL_SYNCHRONOUS_MARKS = _bool("MAIL_SYNCHRONOUS_MARKS", True)
    # Public unsubscribe and preference POSTs per client address; one-click counts refusals only.
    UNSUBSCRIBE_RATE_LIMIT = os.environ.get("UNSUBSCRIBE_RATE_LIMIT", "30 per minute;300 per hour")
    DEV_MAILBOX = False
    DEV_MAILBOX_DIR = str(_INSTANCE / "mailbox")

    BOOTSTRAP_SERVE_LOCAL = True
    DIRECTORY_PAGE_SIZE = 50
    # Days after a membership's end date during which it stays in grace before it lapses.
    MEMBERSHIP_GRACE_DAYS = 90
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Public signing of declarations: link lifetime, least time to fill the form (a bot is
    # faster), rate limits per client address and per email domain, count cache in process.
    SIGNATURE_CONFIRM_MAX_AGE = int(os.environ.get("SIGNATURE_CONFIRM_MAX_AGE", 7 * 24 * 3600))
    SIGNATURE_MIN_FILL_SECONDS = float(os.environ.get("SIGNATURE_MIN_FILL_SECONDS", "3"))
    # The embedded form has no session-bound CSRF token: its signed stamp is good this long.
    SIGNATURE_STAMP_MAX_AGE = int(os.environ.get("SIGNATURE_STAMP_MAX_AGE", 6 * 3600))
    SIGN_RATE_LIMIT_IP = os.environ.get("SIGN_RATE_LIMIT_IP", "10 per minute;100 per hour")
    SIGN_RATE_LIMIT_DOMAIN = os.environ.get("SIGN_RATE_LIMIT_DOMAIN", "60 per minute")
    SIGNATURE_COUNT_CACHE_SECONDS = int(os.environ.get("SIGNATURE_COUNT_CACHE_SECONDS", "5"))
    # A signing POST takes the declaration's settings from the process's copy, this young at
    # most (edits in the same process drop it at once), and its signature id from a block of
    # ids the process reserves this many at a time (PostgreSQL). See public_loading.py.
    SIGNING_TARGET_CACHE_SECONDS = float(os.environ.get("SIGNING_TARGET_CACHE_SECONDS", "2"))
    SIGNATURE_ID_BLOCK = int(os.environ.get("SIGNATURE_ID_BLOCK", "50"))

    # Retention (`crm retention`, run daily): unconfirmed signatures are deleted, the bodies of
    # finished mail blanked (the row stays for statistics), bounce reports deleted after so
    # many days.
    SIGNATURE_RETENTION_DAYS = int(os.environ.get("SIGNATURE_RETENTION_DAYS", "30"))
    DELIVERY_BODY_RETENTION_DAYS = int(os.environ.get("DELIVERY_BODY_RETENTION_DAYS", "90"))
    BOUNCE_RETENTION_DAYS = int(os.environ.get("BOUNCE_RETENTION_DAYS", "365"))


class DevelopmentConfig(Config):
    DEBUG = True
    DEV_MAILBOX = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105 (tests only)
    # conftest.py sets the URI: CRM_TEST_DATABASE_URL, or a SQLite file of its own.
    SQLALCHEMY_DATABASE_URI = None
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = "127.0.0.1"
    MAIL_SUPPRESS_SEND = False  # tests read what reached a real SMTP server
    MAIL_PORT = 1  # nothing listens here: a test that mails must ask for the smtp fixture
    LOCKOUT_THRESHOLD = 5
    # Tests that check the fill time set it themselves; counts are read fresh.
    SIGNATURE_MIN_FILL_SECONDS = 0
    SIGNATURE_COUNT_CACHE_SECONDS = 0
    # Every test empties the tables and restarts their ids: nothing may be kept between tests
    # (the tests of these two set them).
    SIGNING_TARGET_CACHE_SECONDS = 0
    SIGNATURE_ID_BLOCK = 1
    # Hundreds of logins per run: a cheap hash keeps the suite fast. Never outside tests.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 (a method name, tests only)


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)

    SECRET_KEY = os.environ.get("SECRET_KEY")


def require_real_secret(secret: str | None) -> None:
    """Refuse to serve real traffic with a missing, short or development secret."""
    if not secret or len(secret) < 32 or secret == DEV_SECRET:
        raise RuntimeError(
            "SECRET_KEY must be set to at least 32 random characters (for local use, set "
            "CRM_CONFIG=development)"
        )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
