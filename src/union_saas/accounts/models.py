"""User: one account per person, whatever their union."""
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from union_saas.core.db import Base, created_at_column


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(32), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(60))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    # For a forgotten password's code when the platform sends codes by mail (MESSAGE_CHANNEL=mail).
    email: Mapped[str | None] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_operator: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change (the calendar links signed with it stop working; sessions and tokens
    # end with their AuthSession rows).
    token_generation: Mapped[int] = mapped_column(default=0)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        """What Flask-Login keeps in the session and remember cookies: the credential of this browser's
        ``AuthSession`` (``accounts.auth.sign_in`` opens one), never the bare user id."""
        credential = getattr(self, "credential", None)
        if credential is None:
            raise RuntimeError("sign users in with accounts.auth.sign_in, which opens their session")
        return credential

    def __repr__(self):
        return f"<User {self.username}>"


class AuthSession(Base):
    """A signed-in session (a page session and its remember cookie) or an API token, revocable here.

    The credential a client holds is ``<user id>.<id>.<secret>``; only a hash of the secret is kept. A page
    session's secret rotates each time its remember cookie signs the browser in again.
    """

    __tablename__ = "auth_session"
    __table_args__ = (sa.Index("ix_auth_session_user_live", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(8))  # page or api
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PasswordReset(Base):
    """A one-time way back into an account: a code sent to its owner (``code``), or a link an officer of
    their union hands them at the office (``link``). Single use, short-lived; only a hash of the secret is kept.
    """

    __tablename__ = "password_reset"
    __table_args__ = (sa.CheckConstraint("kind IN ('code', 'link')", name="kind"),
                      sa.Index("ix_password_reset_user_created", "user_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(8))
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # Wrong codes tried against it: at the limit it is spent, like a used one.
    attempts: Mapped[int] = mapped_column(default=0)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
