"""``make run``: SQLite under instance/, jobs inline when no Redis answers."""
from config.base import *  # noqa: F401,F403

DEBUG = True
SECRET_KEY = "development-only-not-secret"
JOBS_INLINE_FALLBACK = True
DEMO_DATA = True
