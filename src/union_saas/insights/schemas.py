"""Insights API shapes, shared by the API and the page (query arguments)."""
import marshmallow as ma
from flask_babel import lazy_gettext as _l

from union_saas.insights.models import FIGURES
from union_saas.insights.services import SORTABLE


class InsightsArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    sort = ma.fields.String(load_default="name",
                            validate=ma.validate.OneOf(SORTABLE, error=_l("Not a column of the table.")))
    dir = ma.fields.String(load_default="asc", validate=ma.validate.OneOf(("asc", "desc"),
                                                                          error=_l("Use asc or desc.")))


FiguresSchema = ma.Schema.from_dict(
    {name: ma.fields.Integer() for name in FIGURES}
    | {"verification_rate": ma.fields.Float(allow_none=True)},
    name="InsightsFigures",
)


class ChildRowSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    figures = ma.fields.Nested(FiguresSchema, allow_none=True)


class CategorySchema(ma.Schema):
    category = ma.fields.String()
    activities = ma.fields.Integer()


class TrendsSchema(ma.Schema):
    months = ma.fields.List(ma.fields.String())
    members_joined = ma.fields.List(ma.fields.Integer())
    participations = ma.fields.List(ma.fields.Integer())
    categories = ma.fields.List(ma.fields.Nested(CategorySchema))


class InsightsSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    computed_at = ma.fields.DateTime(allow_none=True)
    headline = ma.fields.Nested(FiguresSchema, allow_none=True)
    children = ma.fields.List(ma.fields.Nested(ChildRowSchema))
    trends = ma.fields.Nested(TrendsSchema)


def figures(rollup):
    if rollup is None:
        return None
    return {name: getattr(rollup, name) for name in FIGURES} | {"verification_rate": rollup.verification_rate}


def document(tenant, headline, rows, trends):
    """The insights of ``tenant`` as the API returns them (and the page shows them)."""
    return {
        "slug": tenant.slug, "name": tenant.name,
        "computed_at": headline.computed_at if headline else None,
        "headline": figures(headline),
        "children": [{"slug": t.slug, "name": t.name, "kind": t.kind, "figures": figures(r)} for t, r in rows],
        "trends": trends,
    }


class InsightsExportSchema(ma.Schema):
    job = ma.fields.String(required=True, metadata={"description": "follow it at GET /api/v1/jobs/<job>"})
