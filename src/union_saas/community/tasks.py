"""Periodic work of the community: items that waited a day go to the parent union's queue."""
from union_saas.community import services
from union_saas.core.jobs import periodic


@periodic(every=15 * 60)
def escalate_waiting(session):
    """Every quarter of an hour: open items older than 24 hours move up once (idempotent: a moved item
    carries ``escalated_at`` and is never moved again)."""
    return {"escalated": services.escalate(session)}
