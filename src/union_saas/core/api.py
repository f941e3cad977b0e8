"""flask-smorest wired to our conventions: problem+json errors, 422 on bad JSON, page schemas."""
import http

import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from flask_smorest import abort
from flask_smorest.spec import prepare_response
from webargs.flaskparser import FlaskParser

from union_saas.core.text import nul_errors

PROBLEM = "application/problem+json"


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String()
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(),
                            metadata={"description": "field -> list of messages"})


class Parser(FlaskParser):
    """Malformed JSON is a 422 with a message, like any other bad input."""

    DEFAULT_VALIDATION_STATUS = 422

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(422, errors={"json": [_("The body is not valid JSON.")]})

    def parse(self, *args, **kwargs):
        """Text holding a NUL character is refused like any bad field (PostgreSQL cannot compare it)."""
        data = super().parse(*args, **kwargs)
        errors = nul_errors(data)
        if errors:
            abort(422, errors=errors)
        return data


# What each kind of guard (``access.guards``) may answer before the view runs, documented on every route
# that carries it, so that the OpenAPI document lists every status a client can get.
GUARD_RESPONSES = {
    "signed_in": {401: "Not signed in"},
    "operator": {401: "Not signed in", 404: "Not found (the caller is not the platform operator)"},
    "tenant": {401: "Not signed in", 403: "The caller's role here does not allow this",
               404: "No such union, or the caller manages nothing there"},
    "record": {401: "Not signed in", 403: "The caller's role here does not allow this",
               404: "No such record, or not visible to the caller"},
    "tenant_public": {404: "No such union"},
    "tenant_signed_in": {401: "Not signed in", 404: "No such union"},
}


SIGNED_IN_KINDS = {"signed_in", "operator", "tenant", "record", "tenant_signed_in"}


def summary_of(endpoint):
    """A readable summary for an operation whose view has no docstring: ``list_signups`` -> "List signups"."""
    return endpoint.rsplit(".", 1)[-1].replace("_", " ").capitalize()


class Blueprint(_Blueprint):
    ARGUMENTS_PARSER = Parser()

    def alt_response(self, status_code, response=None, *, schema=None, content_type=None, **kwargs):
        """Error responses are problem+json unless said otherwise."""
        if response is None and schema is None and int(status_code) >= 400:
            schema, content_type = ProblemSchema, content_type or PROBLEM
        return super().alt_response(status_code, response, schema=schema, content_type=content_type, **kwargs)

    def add_url_rule(self, rule, *args, **kwargs):
        self._rule = rule  # read by _store_endpoint_docs, which flask-smorest calls from here
        return super().add_url_rule(rule, *args, **kwargs)

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        kind = (getattr(obj, "access", None) or (None,))[0]
        guard = dict(GUARD_RESPONSES.get(kind, {}))
        if "<" in getattr(self, "_rule", ""):  # a record named in the path may not exist, or not for the caller
            guard.setdefault(404, "No such record, or not visible to the caller")
        for method, doc in self._docs[endpoint].items():
            if method == "parameters":
                continue
            doc["docstring"] = {"summary": summary_of(endpoint), **(doc.get("docstring") or {})}
            if kind in SIGNED_IN_KINDS:  # the bearer token of POST /api/v1/auth/token
                doc.setdefault("manual_doc", {})["security"] = [{"bearer": []}]
            responses = doc.setdefault("response", {}).setdefault("responses", {})
            for status, description in guard.items():
                responses.setdefault(status, [{"schema": ProblemSchema(), "description": description,
                                               "content_type": PROBLEM}])


class Api(_Api):
    ERROR_SCHEMA = ProblemSchema

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        if "bearer" not in self.spec.components.security_schemes:
            self.spec.components.security_scheme("bearer", {
                "type": "http", "scheme": "bearer",
                "description": "POST /api/v1/auth/token {username, password} gives the token"})

    def _register_error_handlers(self):
        """Errors are rendered by ``core.errors`` for pages and API alike."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem details", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)
