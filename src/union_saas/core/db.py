"""Declarative base and column helpers shared by every domain."""
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; store UTC-aware datetimes")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    registry = sa.orm.registry(metadata=sa.MetaData(naming_convention=NAMING),
                               type_annotation_map={datetime: UTCDateTime()})


def created_at_column() -> Mapped[datetime]:
    return mapped_column(default=utcnow, nullable=False)


def database_unavailable(error) -> bool:
    """Whether ``error`` says the database could not be reached or dropped the connection (a failover, a
    restart): worth a retry later, unlike a query's own error (a conflict, a serialization failure)."""
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    try:
        import psycopg
    except ImportError:  # SQLite only
        return False
    orig = error.orig
    # A failed connect is a plain OperationalError; 57P.. is the server shutting down or starting up.
    return type(orig) is psycopg.OperationalError or (getattr(orig, "sqlstate", None) or "").startswith("57P")
