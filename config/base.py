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
REMEMBER_COOKIE_SAMESITE = "Lax"
# A page session (and its remember cookie, which rotates at each use) ends 14 days after its last sign-in.
REMEMBER_COOKIE_DURATION = timedelta(days=14)
PERMANENT_SESSION_LIFETIME = timedelta(days=14)
MAX_CONTENT_LENGTH = 16 * 1024 * 1024

# werkzeug.security method: scrypt is slow on purpose.
PASSWORD_HASH_METHOD = "scrypt"
TOKEN_MAX_AGE = 24 * 3600

# Sign-in attempts (pages and API together): failures only are counted, per account whatever the address,
# and per address whatever the account; a browser that signed in to that account before (its device
# cookie) is counted apart, per device, so that floods lock out no one signing in from their own browser.
LOGIN_FAILURE_LIMITS = "5 per 5 minutes"
LOGIN_FAILURE_LIMITS_PER_ADDRESS = "50 per hour"
LOGIN_FAILURE_LIMITS_PER_DEVICE = "10 per 5 minutes"
# Registrations per address (pages and API together), and the whole API per signed-in user (else address).
REGISTER_LIMITS = "10 per hour"
# A forgotten password: codes asked for and tried, per address and per account (pages and API together).
PASSWORD_RESET_LIMITS = "10 per 15 minutes"
PASSWORD_RESET_LIMITS_PER_ACCOUNT = "5 per 15 minutes"
# How one-time codes leave the platform (core/outbox.py): outbox (the log and instance/outbox/), sms or mail.
MESSAGE_CHANNEL = "outbox"
SMS_GATEWAY_URL = None
SMS_GATEWAY_TOKEN = None
API_RATE_LIMITS = "600 per minute"
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = False
# The limiter's reset time has a header of its own: Retry-After is said only where it means "retry after"
# (a 429 of a limit, a 503 of a database failover), not on every answer.
RATELIMIT_HEADER_RETRY_AFTER = "X-RateLimit-Retry-After"
# Without its storage (Redis), the limiter counts in the process and says so in the log: signing in works.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

API_TITLE = "union-saas"
API_VERSION = "v1"
OPENAPI_VERSION = "3.0.3"
OPENAPI_URL_PREFIX = "/api/v1"
OPENAPI_JSON_PATH = "openapi.json"

# Files that jobs produced (exports, reports) can be downloaded for a day, then they are deleted.
JOB_FILES_KEPT = timedelta(days=1)

# A person's "refresh the figures": not again within 5 minutes of the last refresh of the federation (nor
# while one waits or runs), and at most 10 an hour per person.
INSIGHTS_REFRESH_INTERVAL = 300
INSIGHTS_REFRESH_LIMITS = "10 per hour"

POLICY_DIR = None  # default: the repository's policies/
TENANT_TREE_PAGE = 200  # children shown per node before "more"
# A form's CSRF token is good for four hours (the secret behind it changes at each sign-in).
WTF_CSRF_TIME_LIMIT = 4 * 3600
