"""gunicorn behind a proxy: SECRET_KEY and DATABASE_URL must come from the environment."""
from .base import *  # noqa: F401,F403

SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
PREFERRED_URL_SCHEME = "https"
# Rate-limit counters must be shared by every worker process.
RATELIMIT_STORAGE_URI = None  # default: REDIS_URL
# A Redis that does not answer costs a request a second at most, then the limiter counts in the process.
RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
