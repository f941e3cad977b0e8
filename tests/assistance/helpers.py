"""Help requests made through the services, for tests and the isolation matrix."""
from datetime import timedelta

from union_saas.assistance import services
from union_saas.core.db import utcnow

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CASE = {"category": "legal", "title": "Unpaid overtime", "description": "Three months of overtime unpaid.",
        "urgency": "normal"}


def file(session, requester, **fields):
    return services.file_case(session, requester, {**CASE, **fields})


def age(session, case, *, hours=0, days=0):
    """Move a case's clocks into the past, as if it had been filed that long ago."""
    shift = timedelta(hours=hours, days=days)
    session.flush()
    for name in ("first_response_due", "resolution_due", "climb_at", "due_at", "created_at"):
        value = getattr(case, name)
        if value is not None:
            setattr(case, name, value - shift)
    session.flush()


def resolve(session, case, handler, *, days_ago=0):
    services.set_status(session, handler, case, "resolved")
    if days_ago:
        case.resolved_at = utcnow() - timedelta(days=days_ago)
    session.flush()
    return case
