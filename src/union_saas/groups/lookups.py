"""Web-level helpers the pages and the API share (views and api never import each other)."""
from flask import url_for

from union_saas.extensions import db
from union_saas.groups import services
from union_saas.groups.schemas import group_doc


def docs(groups, user):
    """The presenters of a page of groups: organisers and the caller's rows in two queries."""
    ids = [g.id for g in groups]
    organisers = services.organisers_of(db.session, ids)
    mine = services.my_rows(db.session, user, ids)
    return [group_doc(g, organisers[g.id], mine.get(g.id)) for g in groups]


def invite_url(group, code):
    return url_for("groups.invitation", group_id=group.id, code=code, _external=True)
