"""Pages of results: ``?page=1&per_page=50`` (max 200) -> ``{items, page, per_page, total}``."""
from dataclasses import dataclass

import marshmallow as ma
import sqlalchemy as sa

MAX_PER_PAGE = 200


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def doc(self, items=None) -> dict:
        """The API body ``{items, page, per_page, total}``; ``items`` are this page's rows as documents
        (default: the rows themselves, for a schema to dump)."""
        return {"items": self.items if items is None else items, "page": self.page, "per_page": self.per_page,
                "total": self.total}


def paginate(session, stmt, page=1, per_page=50, *, scalars=True) -> Page:
    """Two queries whatever the size: a count and one page of rows.

    A page number past the last page (``?page=99999999999999999999`` included) never reaches the database:
    a page shows the last page; the API (whose ``PageArgs`` refuse more than 1,000,000 with a 422) answers
    an empty page past the end, as clients iterating until an empty page expect.
    """
    from flask import has_request_context, request

    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page if isinstance(page, int) else 1)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    last = max(1, -(-total // per_page))
    if page > last:
        if not (has_request_context() and request.path.startswith("/api/")):
            page = last
        else:
            return Page([], page, per_page, total)
    rows = session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(rows.scalars() if scalars else rows)
    return Page(items, page, per_page, total)


_page_schemas = {}


def page_schema(item_schema):
    """A schema for a page of ``item_schema`` (one class per item schema, named for OpenAPI)."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        if any(cls.__name__ == name for cls in _page_schemas.values()):
            name = item_schema.__module__.split(".")[1].title() + name  # two domains, one item name
        _page_schemas[item_schema] = type(name, (ma.Schema,), {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "page": ma.fields.Integer(required=True),
            "per_page": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True),
        })
    return _page_schemas[item_schema]
