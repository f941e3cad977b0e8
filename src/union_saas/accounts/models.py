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
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_operator: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change: every issued API token and remembered session stops working.
    token_generation: Mapped[int] = mapped_column(default=0)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.token_generation}"

    def __repr__(self):
        return f"<User {self.username}>"
