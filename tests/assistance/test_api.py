"""Help requests through the API (API.md, Help requests): ask, answer, handle, climb, rate, reopen."""
from datetime import timedelta

import sqlalchemy as sa

from tests.assistance import helpers
from union_saas.assistance import services
from union_saas.assistance.models import HelpCase, HelpEvent, HelpMessage, HelpSetting
from union_saas.core.audit import AuditEntry
from union_saas.core.db import utcnow
from union_saas.core.files import StoredFile
from union_saas.core.inbox import Notification

BODY = {"category": "legal", "title": "Unpaid overtime", "description": "Three months unpaid.", "urgency": "urgent"}


def inbox_of(session, user):
    return session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.id)).all()


def test_file_answer_resolve_rate(district, api, db_session):
    tenants, people = district
    worker = api(people["worker"])
    r = worker.post("/api/v1/me/help-requests", json=BODY)
    assert r.status_code == 201, r.json
    case = r.json
    assert case["tenant"] == "c1" and case["home"] == "c1" and case["status"] == "open"
    assert case["urgency"] == "urgent" and case["breached"] is False and case["escalations"] == []
    assert case["requester"] == "Wang Fang" and case["messages"] == []
    # the union's office is told (the officer and the admin of c1), not the levels above
    assert [n.kind for n in inbox_of(db_session, people["c1"])] == ["assistance.filed"]
    assert inbox_of(db_session, people["c1-officer"])
    assert not inbox_of(db_session, people["s1"])

    handler = api(people["c1-officer"])
    r = handler.post(f"/api/v1/help-requests/{case['id']}/messages", json={"body": "Check the labour contract.",
                                                                           "internal": True})
    assert r.status_code == 201 and r.json["internal"] is True
    row = db_session.get(HelpCase, case["id"])
    db_session.refresh(row)
    assert row.first_response_at is None, "an internal note is not a first response"
    r = handler.post(f"/api/v1/help-requests/{case['id']}/messages", json={"body": "We will call you today."})
    assert r.status_code == 201
    db_session.refresh(row)
    assert row.first_response_at is not None and row.climb_at is None and row.due_at == row.resolution_due
    assert any(n.kind == "assistance.answered" for n in inbox_of(db_session, people["worker"]))

    mine = worker.get(f"/api/v1/me/help-requests/{case['id']}").json
    assert [m["body"] for m in mine["messages"]] == ["We will call you today."]
    full = handler.get(f"/api/v1/help-requests/{case['id']}").json
    assert len(full["messages"]) == 2 and [e["kind"] for e in full["events"]] == ["filed", "responded", "status"]
    assert full["status"] == "in_progress", "answered: in progress"

    r = worker.post(f"/api/v1/help-requests/{case['id']}/messages", json={"body": "Thank you"})
    assert r.status_code == 201 and r.json["by_handler"] is False
    r = handler.post(f"/api/v1/help-requests/{case['id']}/assign", json={"username": "handler-c1"})
    assert r.status_code == 200 and r.json["assignee"] == "handler-c1"
    r = handler.post(f"/api/v1/help-requests/{case['id']}/status", json={"status": "resolved"})
    assert r.status_code == 200 and r.json["status"] == "resolved" and r.json["breached"] is False
    db_session.refresh(row)
    assert row.due_at is None and row.climb_at is None, "a resolved case stops its clocks"

    r = worker.post(f"/api/v1/help-requests/{case['id']}/rate", json={"score": 5, "comment": "Quick"})
    assert r.status_code == 200 and r.json["rating"] == 5
    r = worker.post(f"/api/v1/help-requests/{case['id']}/rate", json={"score": 4})
    assert r.status_code == 409
    assert worker.get("/api/v1/me/help-requests").json["total"] == 1


def test_reopen_within_14_days(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    helpers.resolve(db_session, case, people["c1"], days_ago=3)
    db_session.commit()
    r = api(people["worker"]).post(f"/api/v1/help-requests/{case.id}/reopen", json={"reason": "They still don't pay"})
    assert r.status_code == 200 and r.json["status"] == "open"
    db_session.refresh(case)
    assert case.first_response_at is None and case.due_at is not None and case.reopened_count == 1
    assert any(n.kind == "assistance.reopened" for n in inbox_of(db_session, people["c1"]))


def test_settings_set_the_clocks(district, api, db_session):
    tenants, people = district
    fed = api(people["a"])
    assert fed.get("/api/v1/tenants/a/help-settings").json["categories"]["legal"] == {
        "first_response_hours": 24.0, "resolution_days": 14.0}
    r = fed.put("/api/v1/tenants/a/help-settings", json={"categories": {"legal": {
        "first_response_hours": 1.5, "resolution_days": 0.5}}}) if hasattr(fed, "put") else fed.open(
        "PUT", "/api/v1/tenants/a/help-settings", json={"categories": {"legal": {"first_response_hours": 1.5,
                                                                                 "resolution_days": 0.5}}})
    assert r.status_code == 200 and r.json["categories"]["legal"] == {"first_response_hours": 1.5,
                                                                      "resolution_days": 0.5}
    before = utcnow()
    case = api(people["worker"]).post("/api/v1/me/help-requests", json=BODY).json
    row = db_session.get(HelpCase, case["id"])
    assert timedelta(minutes=89) < row.first_response_due - before < timedelta(minutes=91)
    assert timedelta(hours=11.9) < row.resolution_due - before < timedelta(hours=12.1)
    # only at the root
    r = api(people["s1"]).open("PUT", "/api/v1/tenants/s1/help-settings", json={"categories": {}})
    assert r.status_code == 404


def test_climb_by_the_clock_is_idempotent(district, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    helpers.age(db_session, case, hours=25)
    assert services.climb_overdue(db_session) == 1
    assert services.climb_overdue(db_session) == 0, "running it twice climbs once"
    db_session.refresh(case)
    assert case.tenant_id == tenants["s1"].id and case.escalation_count == 1 and case.first_response_at is None
    assert case.first_response_due > utcnow() + timedelta(hours=23), "a fresh first-response clock"
    event = db_session.scalar(sa.select(HelpEvent).where(HelpEvent.case_id == case.id, HelpEvent.kind == "escalated"))
    assert event.automatic and event.from_tenant_id == tenants["c1"].id and event.to_tenant_id == tenants["s1"].id
    assert [n.kind for n in inbox_of(db_session, people["s1"])] == ["assistance.escalated"]
    assert any(n.kind == "assistance.moved" for n in inbox_of(db_session, people["worker"]))
    # again, to the root, and no further
    helpers.age(db_session, case, hours=25)
    assert services.climb_overdue(db_session) == 1
    db_session.refresh(case)
    assert case.tenant_id == tenants["a"].id and case.climb_at is None and case.due_at is not None
    helpers.age(db_session, case, hours=25)
    assert services.climb_overdue(db_session) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(HelpEvent).where(
        HelpEvent.case_id == case.id, HelpEvent.kind == "escalated")) == 2


def test_an_answered_case_does_not_climb(district, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    services.add_message(db_session, people["c1"], case, "On it")
    helpers.age(db_session, case, hours=25)
    assert services.climb_overdue(db_session) == 0


def test_the_union_below_keeps_reading_and_answering(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    db_session.commit()
    r = api(people["c1"]).post(f"/api/v1/help-requests/{case.id}/escalate", json={"reason": "Needs a lawyer"})
    assert r.status_code == 200 and r.json["tenant"] == "s1"
    assert r.json["escalations"][0]["reason"] == "Needs a lawyer" and not r.json["escalations"][0]["automatic"]
    below = api(people["c1"])
    assert below.get(f"/api/v1/help-requests/{case.id}").status_code == 200
    assert below.post(f"/api/v1/help-requests/{case.id}/messages", json={"body": "Still with you"}).status_code == 201
    assert below.get("/api/v1/tenants/c1/help-requests").json["total"] == 1
    # but the level it is at now acts on it
    assert below.post(f"/api/v1/help-requests/{case.id}/status", json={"status": "resolved"}).status_code == 403
    assert api(people["s1"]).post(f"/api/v1/help-requests/{case.id}/status",
                                  json={"status": "in_progress"}).status_code == 200
    # the requester sees that it moved, not the handler's reason
    mine = api(people["worker"]).get(f"/api/v1/me/help-requests/{case.id}").json
    assert mine["tenant"] == "s1" and mine["escalations"][0]["reason"] is None


def test_queue_filters_and_counts(district, api, db_session):
    tenants, people = district
    late = helpers.file(db_session, people["worker"], title="Late")
    helpers.age(db_session, late, hours=30)
    helpers.file(db_session, people["worker"], title="Fresh", urgency="urgent")
    helpers.file(db_session, people["other"], title="Elsewhere")
    db_session.commit()
    fed = api(people["a"])
    assert fed.get("/api/v1/tenants/a/help-requests").json["total"] == 3
    items = api(people["s1"]).get("/api/v1/tenants/s1/help-requests").json["items"]
    assert [c["title"] for c in items] == ["Late", "Fresh"], "overdue first, then urgent"
    breached = api(people["s1"]).get("/api/v1/tenants/s1/help-requests?breached=1").json
    assert [c["title"] for c in breached["items"]] == ["Late"] and breached["items"][0]["breached"]
    assert api(people["s1"]).get("/api/v1/tenants/s1/help-requests/counts").json == {"overdue": 1, "escalated": 0}
    assert services.badge(db_session, tenants["s1"]) == 1


def test_hardship_details_stay_with_the_levels_it_reached(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"], category="hardship",
                        description="Income 1200 a month, two children, spouse ill")
    db_session.commit()
    own = api(people["c1"]).get(f"/api/v1/help-requests/{case.id}").json
    assert own["description"].startswith("Income") and own["requester"] == "Wang Fang"
    above = api(people["a"]).get(f"/api/v1/help-requests/{case.id}").json
    assert above["description"] is None and above["requester"] != "Wang Fang" and above["requester"].startswith("W")
    listed = api(people["a"]).get("/api/v1/tenants/a/help-requests").json["items"][0]
    assert listed["description"] is None and "Wang Fang" not in str(listed)
    # once the case reaches a level, that level's handlers see it; the federation still does not
    services.escalate(db_session, people["c1"], case, "Beyond our fund")
    db_session.commit()
    assert api(people["s1"]).get(f"/api/v1/help-requests/{case.id}").json["description"].startswith("Income")
    assert api(people["c1"]).get(f"/api/v1/help-requests/{case.id}").json["description"].startswith("Income")
    assert api(people["a"]).get(f"/api/v1/help-requests/{case.id}").json["description"] is None
    # never in the audit log, never in the inbox
    details = [e.detail for e in db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("assistance.%")))]
    assert details and "Income" not in str(details) and "Beyond" not in str(details)
    notes = db_session.scalars(sa.select(Notification)).all()
    assert "Income" not in str([(n.params, n.body) for n in notes])


def test_attachments_are_encrypted_and_kept_to_the_case(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"], category="hardship")
    db_session.commit()
    worker = api(people["worker"])
    r = worker.post(f"/api/v1/help-requests/{case.id}/attachments",
                    data={"file": (__import__("io").BytesIO(helpers.PNG), "payslip.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    stored = db_session.scalars(sa.select(StoredFile).order_by(StoredFile.id.desc())).first()
    assert stored.cipher == "pii" and helpers.PNG not in stored.content
    url = r.json["url"]
    assert worker.get(url).data == helpers.PNG
    assert api(people["c1"]).get(url).status_code == 200
    assert api(people["a"]).get(url).status_code == 404, "hardship evidence: not for handlers never at its level"
    assert api(people["s2"]).get(url).status_code == 404
    assert api(people["other"]).get(url).status_code == 404


# --- bad input (the list): a clear status and nothing changed ------------------------------------

def count(session, model):
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_request_without_membership(district, api, db_session):
    tenants, people = district
    r = api(people["stranger"]).post("/api/v1/me/help-requests", json=BODY)
    assert r.status_code == 403 and count(db_session, HelpCase) == 0


def test_bad_fields(district, api, db_session):
    tenants, people = district
    worker = api(people["worker"])
    for body, field in (({**BODY, "category": "money"}, "category"), ({**BODY, "title": " "}, "title"),
                        ({**BODY, "description": ""}, "description"), ({**BODY, "urgency": "now"}, "urgency")):
        r = worker.post("/api/v1/me/help-requests", json=body)
        assert r.status_code == 422 and field in r.json["errors"], (field, r.json)
    assert count(db_session, HelpCase) == 0


def test_a_message_on_someone_elses_case(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    db_session.commit()
    for who in ("other", "s2", "stranger"):
        r = api(people[who]).post(f"/api/v1/help-requests/{case.id}/messages", json={"body": "Hi"})
        assert r.status_code == 404, who
    assert count(db_session, HelpMessage) == 0


def test_an_internal_message_by_the_requester(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    db_session.commit()
    r = api(people["worker"]).post(f"/api/v1/help-requests/{case.id}/messages", json={"body": "x", "internal": True})
    assert r.status_code == 403 and count(db_session, HelpMessage) == 0


def test_an_assignee_who_is_not_a_handler(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    db_session.commit()
    for username in ("worker", "handler-s2", "nobody-at-all"):
        r = api(people["c1"]).post(f"/api/v1/help-requests/{case.id}/assign", json={"username": username})
        assert r.status_code == 422 and "username" in r.json["errors"], username
    db_session.refresh(case)
    assert case.assignee_id is None


def test_escalating_at_the_root(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    services.escalate(db_session, people["c1"], case, "up")
    case = services.escalate(db_session, people["s1"], case, "up")
    db_session.commit()
    r = api(people["a"]).post(f"/api/v1/help-requests/{case.id}/escalate", json={"reason": "higher"})
    assert r.status_code == 409
    assert api(people["a"]).post(f"/api/v1/help-requests/{case.id}/escalate", json={"reason": " "}).status_code == 422
    db_session.refresh(case)
    assert case.tenant_id == tenants["a"].id and case.escalation_count == 2


def test_rating_or_reopening_unresolved_or_late(district, api, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    db_session.commit()
    worker = api(people["worker"])
    assert worker.post(f"/api/v1/help-requests/{case.id}/rate", json={"score": 4}).status_code == 409
    assert worker.post(f"/api/v1/help-requests/{case.id}/reopen", json={"reason": "x"}).status_code == 409
    helpers.resolve(db_session, case, people["c1"], days_ago=15)
    db_session.commit()
    assert worker.post(f"/api/v1/help-requests/{case.id}/rate", json={"score": 4}).status_code == 409
    assert worker.post(f"/api/v1/help-requests/{case.id}/reopen", json={"reason": "x"}).status_code == 409
    assert worker.post(f"/api/v1/help-requests/{case.id}/rate", json={"score": 6}).status_code == 422
    # a handler is not the requester
    assert api(people["c1"]).post(f"/api/v1/help-requests/{case.id}/rate", json={"score": 4}).status_code == 404
    db_session.refresh(case)
    assert case.status == "resolved" and case.rating is None


def test_settings_with_zero_or_negative_hours(district, api, db_session):
    tenants, people = district
    fed = api(people["a"])
    for clocks in ({"first_response_hours": 0, "resolution_days": 3}, {"first_response_hours": 4, "resolution_days": -1},
                   {"first_response_hours": -2, "resolution_days": 0}):
        r = fed.open("PUT", "/api/v1/tenants/a/help-settings", json={"categories": {"legal": clocks}})
        assert r.status_code == 422, (clocks, r.json)
    r = fed.open("PUT", "/api/v1/tenants/a/help-settings", json={"categories": {"money": {
        "first_response_hours": 1, "resolution_days": 1}}})
    assert r.status_code == 422
    assert count(db_session, HelpSetting) == 0


def test_flask_assistance_escalate_and_the_periodic_job(district, app, db_session):
    from union_saas.assistance import tasks
    from union_saas.core import jobs

    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    helpers.age(db_session, case, hours=25)
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["assistance", "escalate"])
    assert result.exit_code == 0 and "climbed: 1" in result.output, result.output
    assert tasks.climb_overdue.periodic_name in {p.name for p in jobs.periodic_jobs()}
    assert tasks.climb_overdue(db_session) == 0
    db_session.refresh(case)
    assert case.tenant_id == tenants["s1"].id


def test_an_answer_from_below_does_not_stop_the_clock_above(district, db_session):
    tenants, people = district
    case = helpers.file(db_session, people["worker"])
    services.escalate(db_session, people["c1"], case, "Needs the street")
    case = services.load_case(db_session, case.id)
    services.add_message(db_session, people["c1"], case, "We still follow it")
    assert case.first_response_at is None and case.climb_at is not None
    services.add_message(db_session, people["s1"], case, "The street takes it")
    assert case.first_response_at is not None and case.climb_at is None and case.status == "in_progress"
