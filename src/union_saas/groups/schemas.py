"""Group and award API shapes (API.md, Interest groups and yearly awards); the pages validate with the same."""
import marshmallow as ma
from flask import url_for
from flask_babel import lazy_gettext as _l

from union_saas.activities.schemas import ActivityCreateSchema, ActivitySchema  # noqa: F401 - the activity body
from union_saas.groups.models import (
    CATEGORIES,
    JOIN_POLICIES,
    KINDS,
    MEMBER_STATUSES,
    PHASES,
    ROLES,
    STATUSES,
)
from union_saas.tenancy.content import REACH_STATES, SCOPES
from union_saas.tenancy.schemas import JobAcceptedSchema  # noqa: F401 - one schema of that name in OpenAPI

PAGE = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
PER_PAGE = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class GroupCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))
    category = ma.fields.String(load_default="culture", validate=ma.validate.OneOf(CATEGORIES))
    join_policy = ma.fields.String(load_default="open", validate=ma.validate.OneOf(JOIN_POLICIES))
    scope = ma.fields.String(load_default="tenant", validate=ma.validate.OneOf(SCOPES))

    @ma.validates("name")
    def not_blank(self, value, **kwargs):
        if not value.strip():
            raise ma.ValidationError(str(_l("Give the group a name.")))


class GroupPatchSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=80))
    description = ma.fields.String(validate=ma.validate.Length(max=5000))
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    join_policy = ma.fields.String(validate=ma.validate.OneOf(JOIN_POLICIES))
    scope = ma.fields.String(validate=ma.validate.OneOf(SCOPES))


class GroupSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String()
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    join_policy = ma.fields.String(required=True, validate=ma.validate.OneOf(JOIN_POLICIES))
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(SCOPES))
    reach = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(REACH_STATES))
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    founder = ma.fields.String(required=True)
    members_count = ma.fields.Integer(required=True)
    organisers = ma.fields.List(ma.fields.String(), required=True)
    cover_url = ma.fields.String(allow_none=True)
    decision_reason = ma.fields.String(allow_none=True)
    archive_reason = ma.fields.String(allow_none=True)
    my_membership = ma.fields.Dict(allow_none=True, metadata={"description": "{status, role} of the caller"})


class GroupDetailSchema(GroupSchema):
    numbers = ma.fields.Dict(metadata={"description": "{activities_held, participants, checkins}"})


class OversightSchema(GroupSchema):
    last_activity_at = ma.fields.DateTime(allow_none=True)
    inactive = ma.fields.Boolean(required=True, metadata={"description": "no activity for 90 days"})


class GroupListArgs(ma.Schema):
    page = PAGE
    per_page = PER_PAGE
    tenant = ma.fields.String(metadata={"description": "hosted at this union (slug)"})
    joined = ma.fields.Boolean(load_default=False)
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    where = ma.fields.String(load_default="everywhere", validate=ma.validate.OneOf(("everywhere", "near", "mine")),
                             metadata={"description": "near: my union and those above it; mine: my union's"})


class OversightArgs(ma.Schema):
    page = PAGE
    per_page = PER_PAGE
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    inactive = ma.fields.Boolean(load_default=False, metadata={"description": "only those flagged (90 days)"})


class GroupReachListArgs(ma.Schema):
    page = PAGE
    per_page = PER_PAGE
    status = ma.fields.String(load_default="pending", validate=ma.validate.OneOf(REACH_STATES))


class GroupReasonSchema(ma.Schema):
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class ArchiveSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class GroupJoinSchema(ma.Schema):
    code = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100),
                            metadata={"description": "a share link's code"})


class GroupJoinResultSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(MEMBER_STATUSES))


class GroupMemberSchema(ma.Schema):
    user = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(MEMBER_STATUSES))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    joined_at = ma.fields.DateTime(allow_none=True)


class MemberListArgs(ma.Schema):
    page = PAGE
    per_page = PER_PAGE
    status = ma.fields.String(validate=ma.validate.OneOf(MEMBER_STATUSES))


class GroupInviteSchema(ma.Schema):
    username = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(min=1, max=80),
                                metadata={"description": "invite this person; without it, a share link is made"})


class GroupInviteResultSchema(ma.Schema):
    user = ma.fields.String(allow_none=True)
    status = ma.fields.String(allow_none=True)
    url = ma.fields.String(allow_none=True, metadata={"description": "the share link (used once)"})
    code = ma.fields.String(allow_none=True)
    qr_svg = ma.fields.String(allow_none=True)


class GroupRoleSchema(ma.Schema):
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))


class GroupActivityArgs(ma.Schema):
    page = PAGE
    per_page = PER_PAGE
    upcoming = ma.fields.Boolean(load_default=None, allow_none=True)


class GroupCoverSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


# --- awards --------------------------------------------------------------------------------------

class AwardCategoryInSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    places = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=1000))


class RoundCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2000, max=2100))
    nominations_close = ma.fields.AwareDateTime(required=True)
    judging_close = ma.fields.AwareDateTime(required=True)
    categories = ma.fields.List(ma.fields.Nested(AwardCategoryInSchema), required=True,
                                validate=ma.validate.Length(min=1, max=20))


class AwardCategorySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    places = ma.fields.Integer(required=True)


class RoundSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tenant = ma.fields.String(required=True)
    tenant_name = ma.fields.String()
    title = ma.fields.String(required=True)
    year = ma.fields.Integer(required=True)
    categories = ma.fields.List(ma.fields.Nested(AwardCategorySchema), required=True)
    nominations_close = ma.fields.DateTime(required=True)
    judging_close = ma.fields.DateTime(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(PHASES))


class JurorInSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))


class JurorSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    user = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)


class NominationInSchema(ma.Schema):
    group = ma.fields.Integer(required=True, strict=True)
    category = ma.fields.Integer(required=True, strict=True)
    statement = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=5000))


class DossierSchema(ma.Schema):
    activities_held = ma.fields.Integer(required=True)
    participants = ma.fields.Integer(required=True)
    checkins = ma.fields.Integer(required=True)


class NominationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    group = ma.fields.Integer(required=True)
    group_name = ma.fields.String()
    category = ma.fields.Integer(required=True)
    statement = ma.fields.String(required=True)
    dossier = ma.fields.Nested(DossierSchema, required=True)


class ScoreInSchema(ma.Schema):
    score = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(
        min=0, max=100, error=_l("A score from 0 to 100.")))
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=1000))


class ScoreSchema(ma.Schema):
    nomination = ma.fields.Integer(required=True)
    score = ma.fields.Integer(required=True)
    comment = ma.fields.String(required=True)


class ResultRowSchema(ma.Schema):
    nomination = ma.fields.Integer(required=True)
    group = ma.fields.Integer(required=True)
    group_name = ma.fields.String()
    mean = ma.fields.Float(allow_none=True, required=True)
    scores_count = ma.fields.Integer(required=True)
    awarded = ma.fields.Boolean(required=True)
    rank = ma.fields.Integer()
    dossier = ma.fields.Nested(DossierSchema)


class ResultCategorySchema(ma.Schema):
    category = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    places = ma.fields.Integer(required=True)
    nominations = ma.fields.List(ma.fields.Nested(ResultRowSchema), required=True)


class AwardResultsSchema(ma.Schema):
    round = ma.fields.Nested(RoundSchema, required=True)
    categories = ma.fields.List(ma.fields.Nested(ResultCategorySchema), required=True)


# --- presenters ----------------------------------------------------------------------------------

def group_doc(group, organisers=(), mine=None):
    """A group as API.md gives it (its ``tenant`` loaded)."""
    return {
        "id": group.id, "tenant": group.tenant.slug, "tenant_name": group.tenant.name, "name": group.name,
        "description": group.description, "category": group.category, "kind": group.kind,
        "join_policy": group.join_policy, "scope": group.scope, "reach": group.reach, "status": group.status,
        "founder": group.founder.username,
        "members_count": group.members_count, "organisers": list(organisers),
        "cover_url": url_for("groups.cover", group_id=group.id, v=group.cover_id) if group.cover_id else None,
        "decision_reason": group.decision_reason, "archive_reason": group.archive_reason,
        "my_membership": {"status": mine.status, "role": mine.role} if mine is not None else None,
    }


def member_doc(row):
    return {"user": row.user.username, "display_name": row.user.display_name, "status": row.status,
            "role": row.role, "joined_at": row.joined_at}


def round_doc(rnd):
    return {"id": rnd.id, "tenant": rnd.tenant.slug, "tenant_name": rnd.tenant.name, "title": rnd.title,
            "year": rnd.year, "nominations_close": rnd.nominations_close, "judging_close": rnd.judging_close,
            "status": rnd.phase(),
            "categories": [{"id": c.id, "name": c.name, "kind": c.kind, "places": c.places} for c in rnd.categories]}


def nomination_doc(n, dossier):
    return {"id": n.id, "group": n.group_id, "group_name": n.group.name, "category": n.category_id,
            "statement": n.statement, "dossier": dossier}


def result_docs(ranked):
    return [{**{k: c[k] for k in ("category", "name", "kind", "places")},
             "nominations": [{k: r[k] for k in ("nomination", "group", "group_name", "mean", "scores_count",
                                                "awarded", "rank", "dossier")} for r in c["nominations"]]}
            for c in ranked]
