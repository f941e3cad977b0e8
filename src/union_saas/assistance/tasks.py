"""Jobs of help requests: the climb of cases whose first response is overdue (API.md, Help requests)."""
from union_saas.assistance import services
from union_saas.core.jobs import periodic
from union_saas.extensions import db


@periodic(every=300)
def climb_overdue(session):
    """Every five minutes: each case whose first response is overdue climbs one level (idempotent: the
    UPDATE re-checks that it is still where it was, unanswered and due)."""
    return services.climb_overdue(session)


def climb_now():
    """``flask assistance escalate``: the same, at once, and commit."""
    from flask import has_app_context

    if not has_app_context():
        from union_saas import create_app

        with create_app().app_context():
            return climb_now()
    climbed = services.climb_overdue(db.session)
    db.session.commit()
    return climbed
