"""pytest: SQLite in memory unless TEST_DATABASE_URL is set, fast password hash."""
from .base import *  # noqa: F401,F403

TESTING = True
SECRET_KEY = "testing-only-not-secret"
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
WTF_CSRF_ENABLED = False
JOBS_INLINE = True
RATELIMIT_STORAGE_URI = "memory://"
# The suite calls the API thousands of times with one user; tests of the limit itself lower it.
API_RATE_LIMITS = "100000 per minute"
REGISTER_LIMITS = "1000 per hour"
PASSWORD_RESET_LIMITS = PASSWORD_RESET_LIMITS_PER_ACCOUNT = "1000 per hour"
JOBS_FRESH_SESSION = False
# Personal-data key of the test suite (development generates one under instance/; production: env).
PII_KEY = "testing-only-pii-key-not-a-secret-0123456789"
