"""Settings every environment shares."""
from datetime import timedelta

SECRET_KEY = None
DATABASE_URL = None
REDIS_URL = "redis://127.0.0.1:6379/0"
# Run jobs in the process when no Redis answers or no RQ worker is registered (development only).
JOBS_INLINE_FALLBACK = False
JOBS_INLINE = False
# The sweeper hands to RQ the jobs still queued this many seconds after they were recorded (Redis was away).
JOBS_SWEEP_AFTER = 60

BABEL_DEFAULT_LOCALE = "zh"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
LANGUAGES = ("zh", "en")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
PERMANENT_SESSION_LIFETIME = timedelta(days=14)
MAX_CONTENT_LENGTH = 16 * 1024 * 1024

# werkzeug.security method: scrypt is slow on purpose.
PASSWORD_HASH_METHOD = "scrypt"
TOKEN_MAX_AGE = 24 * 3600

# Sign-in attempts: failures only are counted, per account and address, and per address.
LOGIN_FAILURE_LIMITS = "5 per 5 minutes"
LOGIN_FAILURE_LIMITS_PER_ADDRESS = "50 per hour"
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
# Without its storage (Redis), the limiter counts in the process and says so in the log: signing in works.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

API_TITLE = "union-saas"
API_VERSION = "v1"
OPENAPI_VERSION = "3.0.3"
OPENAPI_URL_PREFIX = "/api/v1"
OPENAPI_JSON_PATH = "openapi.json"

POLICY_DIR = None  # default: the repository's policies/
TENANT_TREE_PAGE = 200  # children shown per node before "more"
WTF_CSRF_TIME_LIMIT = None
