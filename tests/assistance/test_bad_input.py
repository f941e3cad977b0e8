"""The issue's "Bad input", each line: a clear status, and every table exactly as it was (row by row)."""
import pytest

from tests.assistance import helpers
from tests.test_bad_input import snapshot
from union_saas.assistance import services

BODY = {"category": "legal", "title": "T", "description": "D"}


def prepared(db_session, people, state):
    case = helpers.file(db_session, people["worker"])
    if state == "at root":
        services.escalate(db_session, people["c1"], case, "up")
        services.escalate(db_session, people["s1"], services.load_case(db_session, case.id), "up")
    if state == "resolved long ago":
        helpers.resolve(db_session, case, people["c1"], days_ago=20)
    if state == "rated":
        helpers.resolve(db_session, case, people["c1"])
        services.rate(db_session, people["worker"], case, 5)
    db_session.commit()
    return case


LINES = [
    # (who, method, path, body, state, expected status)
    ("stranger", "POST", "/api/v1/me/help-requests", BODY, None, 403),  # a request without membership
    ("worker", "POST", "/api/v1/me/help-requests", {**BODY, "category": "x"}, None, 422),
    ("other", "POST", "/api/v1/help-requests/{id}/messages", {"body": "hi"}, "open", 404),  # someone else's case
    ("s2", "POST", "/api/v1/help-requests/{id}/messages", {"body": "hi"}, "open", 404),
    ("worker", "POST", "/api/v1/help-requests/{id}/messages", {"body": "hi", "internal": True}, "open", 403),
    ("c1", "POST", "/api/v1/help-requests/{id}/assign", {"username": "worker"}, "open", 422),  # not a handler
    ("c1", "POST", "/api/v1/help-requests/{id}/assign", {"username": "handler-s2"}, "open", 422),
    ("a", "POST", "/api/v1/help-requests/{id}/escalate", {"reason": "up"}, "at root", 409),  # at the root
    ("c1", "POST", "/api/v1/help-requests/{id}/escalate", {"reason": ""}, "open", 422),
    ("worker", "POST", "/api/v1/help-requests/{id}/rate", {"score": 3}, "open", 409),  # unresolved
    ("worker", "POST", "/api/v1/help-requests/{id}/reopen", {"reason": "x"}, "open", 409),
    ("worker", "POST", "/api/v1/help-requests/{id}/rate", {"score": 3}, "resolved long ago", 409),  # after 14 days
    ("worker", "POST", "/api/v1/help-requests/{id}/reopen", {"reason": "x"}, "resolved long ago", 409),
    ("worker", "POST", "/api/v1/help-requests/{id}/rate", {"score": 3}, "rated", 409),
    ("worker", "POST", "/api/v1/help-requests/{id}/rate", {"score": 0}, "rated", 422),
    ("a", "PUT", "/api/v1/tenants/a/help-settings", {"categories": {"legal": {
        "first_response_hours": 0, "resolution_days": 1}}}, None, 422),  # zero or negative hours
    ("a", "PUT", "/api/v1/tenants/a/help-settings", {"categories": {"hardship": {
        "first_response_hours": 3, "resolution_days": -2}}}, None, 422),
    ("c1", "PUT", "/api/v1/tenants/a/help-settings", {"categories": {"legal": {
        "first_response_hours": 3, "resolution_days": 2}}}, None, 404),  # not a handler at the root
]


@pytest.mark.parametrize("who,method,path,body,state,status", LINES,
                         ids=[f"{w} {m} {p} {s or ''} {st}" for w, m, p, b, s, st in LINES])
def test_bad_input_changes_nothing(district, api, db_session, who, method, path, body, state, status):
    tenants, people = district
    case = prepared(db_session, people, state) if state else None
    before = snapshot()
    r = api(people[who]).open(method, path.format(id=case.id if case else 0), json=body)
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"
    if status == 422:
        assert r.json["errors"], r.json
    db_session.expire_all()
    assert snapshot() == before
