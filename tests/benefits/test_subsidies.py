"""Subsidies: a host claims after its activity ended, the platform fills the evidence, the nearest union above
with benefit.manage decides (never the claimant's own), totals per year and per union, and the export."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.benefits.conftest import now
from union_saas.activities.models import Activity, SignUp
from union_saas.benefits.models import SubsidyClaim
from union_saas.core.inbox import Notification


@pytest.fixture
def hosts(make_tree, make_user, grant):
    """The district ``dist`` (its benefits office), a street ``dist-st`` and a partner organisation below it."""
    tenants = make_tree("dist/dist-st/dist-st-org", kinds={"dist-st-org": "social_org"})
    people = {"district": make_user("district-office"), "street": make_user("street-office"),
              "partner": make_user("partner-staff")}
    grant(people["district"], "federation_admin", tenants["dist"])
    grant(people["street"], "union_admin", tenants["dist-st"])
    grant(people["partner"], "partner_staff", tenants["dist-st-org"])
    return tenants, people


def ended_activity(session, tenant, *, days_ago=1, title="Tea talk", confirmed=3, checked_in=2, make_user=None):
    ends = now() - timedelta(days=days_ago)
    a = Activity(tenant_id=tenant.id, root_id=tenant.root_id, title=title, scope="tenant", status="published",
                 starts_at=ends - timedelta(hours=2), ends_at=ends, members_only=False, description="",
                 description_html="", confirmed_count=confirmed)
    session.add(a)
    session.flush()
    for i in range(confirmed):
        u = make_user(f"{title[:3]}-{a.id}-{i}")
        session.add(SignUp(activity_id=a.id, user_id=u.id, root_id=a.root_id, status="confirmed",
                           checked_in_at=now() if i < checked_in else None))
    u = make_user(f"{title[:3]}-{a.id}-gone")
    session.add(SignUp(activity_id=a.id, user_id=u.id, root_id=a.root_id, status="cancelled"))
    session.flush()
    return a


def test_claim_after_the_end_with_the_evidence_counted(api, hosts, db_session, make_user):
    tenants, people = hosts
    a = ended_activity(db_session, tenants["dist-st-org"], make_user=make_user)
    r = api(people["partner"]).post(f"/api/v1/activities/{a.id}/subsidy-claims",
                                    json={"amount_requested": "1200.50", "note": "Hall and tea",
                                          "evidence": {"confirmed": 999}})
    assert r.status_code == 422 and "evidence" in r.get_json()["errors"]  # evidence is never typed in
    r = api(people["partner"]).post(f"/api/v1/activities/{a.id}/subsidy-claims",
                                    json={"amount_requested": "1200.50", "note": "Hall and tea"})
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    assert doc["evidence"] == {"confirmed": 3, "checked_in": 2} and doc["status"] == "submitted"
    assert doc["amount_requested"] == "1200.50" and doc["tenant"] == "dist-st-org"
    # The nearest union above with benefit.manage (the street) is told; the district is not bothered.
    told = set(db_session.scalars(sa.select(Notification.user_id).where(Notification.kind == "subsidy.submitted")))
    assert told == {people["street"].id}
    again = api(people["partner"]).post(f"/api/v1/activities/{a.id}/subsidy-claims", json={"amount_requested": "1"})
    assert again.status_code == 409


def test_bad_claims_change_nothing(api, hosts, db_session, make_user):
    tenants, people = hosts
    upcoming = ended_activity(db_session, tenants["dist-st-org"], days_ago=-2, title="Later", make_user=make_user)
    assert api(people["partner"]).post(f"/api/v1/activities/{upcoming.id}/subsidy-claims",
                                       json={"amount_requested": "100"}).status_code == 409  # not ended yet
    a = ended_activity(db_session, tenants["dist-st-org"], make_user=make_user)
    for amount in ("0", "-5", "abc", "12.345", None):
        r = api(people["partner"]).post(f"/api/v1/activities/{a.id}/subsidy-claims", json={"amount_requested": amount})
        assert r.status_code == 422 and "amount_requested" in r.get_json()["errors"], (amount, r.get_json())
    assert db_session.scalar(sa.select(sa.func.count()).select_from(SubsidyClaim)) == 0


def test_decided_above_the_claimant_never_by_it(api, hosts, db_session, make_user):
    tenants, people = hosts
    a = ended_activity(db_session, tenants["dist-st"], make_user=make_user)  # the street hosts this one itself
    claim = api(people["street"]).post(f"/api/v1/activities/{a.id}/subsidy-claims",
                                       json={"amount_requested": "800"}).get_json()
    path = f"/api/v1/subsidy-claims/{claim['id']}"
    assert api(people["street"]).post(path + "/approve", json={"amount_granted": "800"}).status_code == 403
    assert api(people["partner"]).post(path + "/approve", json={"amount_granted": "800"}).status_code == 404
    assert api(people["district"]).post(path + "/approve", json={"amount_granted": "800.01"}).status_code == 422
    assert api(people["district"]).post(path + "/reject", json={"reason": ""}).status_code == 422
    assert db_session.get(SubsidyClaim, claim["id"]).status == "submitted"
    r = api(people["district"]).post(path + "/approve", json={"amount_granted": "650"})
    assert r.status_code == 200 and r.get_json()["amount_granted"] == "650.00" and r.get_json()["status"] == "approved"
    assert api(people["district"]).post(path + "/reject", json={"reason": "late"}).status_code == 409
    assert api(people["district"]).post(path + "/approve", json={"amount_granted": "1"}).status_code == 409
    assert db_session.scalar(sa.select(Notification.kind).where(Notification.user_id == people["street"].id,
                                                                Notification.kind == "subsidy.approved"))


def test_totals_per_year_and_per_union(api, hosts, db_session, make_user, make_tree):
    tenants, people = hosts
    other_street = make_tree("dist/dist-st2")["dist-st2"]
    rows = [(tenants["dist-st-org"], 1, "1000", "approve", "900"), (tenants["dist-st-org"], 400, "500", "reject", None),
            (tenants["dist-st"], 2, "300", None, None), (other_street, 3, "200", "approve", "200")]
    for tenant, days, amount, decision, granted in rows:
        a = ended_activity(db_session, tenant, days_ago=days, title=f"A{days}", confirmed=1, checked_in=0,
                           make_user=make_user)
        actor = people["partner"] if tenant.slug == "dist-st-org" else people["district"]
        if tenant.slug == "dist-st":
            actor = people["street"]
        c = api(actor).post(f"/api/v1/activities/{a.id}/subsidy-claims", json={"amount_requested": amount}).get_json()
        if decision == "approve":
            assert api(people["district"]).post(f"/api/v1/subsidy-claims/{c['id']}/approve",
                                                json={"amount_granted": granted}).status_code == 200
        elif decision == "reject":
            assert api(people["district"]).post(f"/api/v1/subsidy-claims/{c['id']}/reject",
                                                json={"reason": "No receipts"}).status_code == 200
    doc = api(people["district"]).get("/api/v1/tenants/dist/subsidy-claims?status=submitted").get_json()
    assert doc["total"] == 1 and doc["totals"] == {"requested": "1500.00", "granted": "1100.00"}
    by = {(r["year"], r["tenant"]): r for r in doc["by_year_and_union"]}
    this_year = (now() - timedelta(days=2)).year
    assert sum(r["claims"] for r in by.values()) == 4
    street = doc["by_year_and_union"]
    assert {r["tenant"] for r in street} == {"Dist-St", "Dist-St2"}  # per child of the district
    street_doc = api(people["street"]).get("/api/v1/tenants/dist-st/subsidy-claims").get_json()
    assert street_doc["total"] == 3 and street_doc["totals"]["granted"] == "900.00"
    own = [r for r in street_doc["by_year_and_union"] if r["own"]]
    assert own and own[0]["tenant"] == "Dist-St" and own[0]["requested"] == "300.00"
    assert any(y == this_year for y, _ in by)


def test_export_of_the_claims(api, login, hosts, db_session, make_user, run_jobs):
    from openpyxl import load_workbook
    import io

    from union_saas.core import jobs

    tenants, people = hosts
    a = ended_activity(db_session, tenants["dist-st-org"], make_user=make_user)
    api(people["partner"]).post(f"/api/v1/activities/{a.id}/subsidy-claims", json={"amount_requested": "100"})
    r = api(people["district"]).post("/api/v1/tenants/dist/subsidy-claims/export")
    assert r.status_code == 202
    run_jobs()  # on Redis: an RQ worker in this process; inline, the job ran already
    db_session.expire_all()
    record = db_session.get(jobs.JobRecord, r.get_json()["job"])
    assert record.status == "finished", record.error
    data = login(people["district"]).get(f"/jobs/{record.id}/file")
    assert data.status_code == 200
    book = load_workbook(io.BytesIO(data.data))
    assert len(book.worksheets) == 2
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert rows[1][0] == "Tea talk" and rows[1][3] == 3
