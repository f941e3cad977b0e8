"""Registration, passwords, API tokens."""
import re
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from union_saas.access import engine
from union_saas.accounts.models import User
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, NotFound, ValidationFailed

# Fields other domains add to GET /api/v1/me (members adds ``membership``): name -> fn(user) -> value.
ME_FIELDS = {}

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
MIN_PASSWORD = 8
# Dummy hash compared against when the username is unknown, so timing does not reveal it.
_DUMMY = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def get_by_username(session, username) -> User:
    user = session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFound(_("No user named %(name)s.", name=username), errors={"username": [_("No such user.")]})
    return user


def password_problems(password, *inputs) -> list[str]:
    """Why a password is too weak, in words a person understands (empty when it is fine)."""
    if len(password) < MIN_PASSWORD:
        return [_("Use at least %(n)d characters.", n=MIN_PASSWORD)]
    if len(password) > 128:
        return [_("Use at most 128 characters.")]
    score = zxcvbn(password[:64], user_inputs=[i for i in inputs if i])["score"]
    if score < 2:
        return [_("Too easy to guess: avoid names, dates, common words and simple patterns; "
                  "a few unrelated words make a strong password.")]
    return []


def hash_password(password, method):
    return generate_password_hash(password, method=method)


def register(session, *, username, password, display_name, phone=None, hash_method="scrypt") -> User:
    username = normalise_username(username)
    errors = {}
    if not USERNAME_RE.match(username):
        errors["username"] = [_("3 to 32 letters, digits, dots, hyphens or underscores, starting with a letter or digit.")]
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = [_("A mainland mobile number has 11 digits and starts with 1.")]
    weak = password_problems(password or "", username, display_name, phone)
    if weak:
        errors["password"] = weak
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    if session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(_("The username %(name)s is taken.", name=username), errors={"username": [_("Already taken.")]})
    user = User(username=username, display_name=display_name.strip(), phone=phone or None,
                password_hash=hash_password(password, hash_method))
    session.add(user)
    session.flush()
    return user


def authenticate(session, username, password):
    """The user if the password matches, else None (same work either way)."""
    user = session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    if user is None or not user.active:
        check_password_hash(_DUMMY, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    user.last_login_at = utcnow()
    return user


def set_password(session, user, password, hash_method="scrypt"):
    weak = password_problems(password, user.username, user.display_name, user.phone)
    if weak:
        raise ValidationFailed(errors={"password": weak})
    user.password_hash = hash_password(password, hash_method)
    user.token_generation += 1
    session.flush()


def _serializer(secret):
    return URLSafeTimedSerializer(secret, salt="api-token")


def issue_token(user, secret, max_age):
    token = _serializer(secret).dumps({"u": user.id, "g": user.token_generation})
    return token, utcnow() + timedelta(seconds=max_age)


def _signed_in(session, user_id, generation):
    """The active user of id ``user_id`` whose tokens and sessions are of ``generation`` (a password
    change moves it on, ending the others), loaded with their live grants in one query; else None."""
    if not isinstance(user_id, int) or not 0 < user_id <= 2**31 - 1:
        return None
    user, grants = engine.load_user_with_grants(session, User, user_id)
    if user is None or not user.active or user.token_generation != generation:
        return None
    engine.remember(user, grants)  # the request's permission checks need no other query
    return user


def user_from_token(session, token, secret, max_age):
    try:
        data = _serializer(secret).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    return _signed_in(session, data.get("u"), data.get("g"))


def user_from_session_id(session, user_id):
    """Flask-Login's user loader: ``<id>:<generation>``."""
    try:
        uid, generation = (int(part) for part in str(user_id).split(":"))
    except ValueError:
        return None
    return _signed_in(session, uid, generation)
