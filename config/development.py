"""``make run`` (the Makefile sets UNION_SAAS_ENV=development): SQLite under instance/, jobs inline when no
Redis answers, a secret key generated once under instance/ (none is in the repository)."""
from .base import *  # noqa: F401,F403

DEBUG = True
SECRET_KEY = None  # instance/secret.key, made on first start (``union_saas.configure``)
JOBS_INLINE_FALLBACK = True
DEMO_DATA = True
