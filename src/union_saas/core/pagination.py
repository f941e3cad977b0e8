"""Pages of results: ``?page=1&per_page=50`` (max 200) -> ``{items, page, per_page, total}``."""
import marshmallow as ma
from flask import has_request_context, request
from flask_sqlalchemy.pagination import SelectPagination

MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


class Page(SelectPagination):
    """One page of a statement's results (Flask-SQLAlchemy's pagination): ``items``, ``page``, ``per_page``,
    ``total``, ``pages``, ``has_next``...; rows instead of scalars when made with ``scalars=False``."""

    def _query_items(self):
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        result = self._query_args["session"].execute(select)
        return list(result.unique().scalars()) if self._query_args["scalars"] else list(result)

    def doc(self, items=None) -> dict:
        """The API body ``{items, page, per_page, total}``; ``items`` are this page's rows as documents
        (default: the rows themselves, for a schema to dump)."""
        return {"items": self.items if items is None else items, "page": self.page, "per_page": self.per_page,
                "total": self.total}


class EmptyPage(Page):
    """A page of nothing (no query), for a list that cannot hold anything for this caller."""

    def __init__(self, page=1, per_page=50):
        self.page, self.per_page, self.max_per_page, self.items, self.total = page, per_page, MAX_PER_PAGE, [], 0


def paginate(session, stmt, page=1, per_page=50, *, scalars=True) -> Page:
    """Two queries whatever the size: one page of rows and a count.

    A page number past the last page (``?page=99999999999999999999`` included) never reaches the database
    as such: a page shows the last page (a third query, only then); the API (whose ``PageArgs`` refuse more
    than 1,000,000 with a 422) answers an empty page past the end, as clients iterating until one expect.
    """
    page = min(max(1, page if isinstance(page, int) else 1), MAX_PAGE)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    result = Page(select=stmt, session=session, page=page, per_page=per_page, max_per_page=MAX_PER_PAGE,
                  error_out=False, scalars=scalars)
    if not result.items and page > 1 and result.total and not (has_request_context()
                                                              and request.path.startswith("/api/")):
        result = Page(select=stmt, session=session, page=result.pages, per_page=per_page, max_per_page=MAX_PER_PAGE,
                      error_out=False, scalars=scalars)
    return result


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
