"""Every line of issue 15's "Bad input": a clear 422/403/404/409 as problem+json, and every table exactly as it
was (compared row by row before and after each refused call)."""
from datetime import timedelta

import pytest

from tests.benefits.conftest import now
from tests.benefits.test_subsidies import ended_activity
from tests.test_bad_input import snapshot

# The sign-in sessions and the audit log's refusals aside, nothing may change: a refusal writes nothing.


def refused(client_call, status, *, field=None):
    before = snapshot()
    response = client_call()
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    assert response.mimetype == "application/problem+json"
    if field:
        assert field in (response.get_json().get("errors") or {}), response.get_json()
    after = snapshot()
    changed = [name for name in before if before[name] != after[name] and name != "auth_session"]
    assert not changed, changed
    return response


@pytest.fixture
def scene(api, union, make_user, verified, make_giveaway, make_tree, grant, db_session):
    tenants, admin = union
    member, outsider, unverified = make_user("member"), make_user("outsider"), make_user("unverified")
    verified(member, tenants["fed-s-c"])
    verified(outsider, make_tree("fed/fed-t")["fed-t"])  # a sibling street: outside a subtree giveaway of fed-s
    from union_saas.members.models import Membership

    db_session.add(Membership(user_id=unverified.id, tenant_id=tenants["fed-s"].id, root_id=tenants["fed"].root_id,
                              status="active"))  # no verified ID
    db_session.flush()
    return {"tenants": tenants, "admin": admin, "member": member, "outsider": outsider, "unverified": unverified}


def test_entering_outside_the_window_twice_outside_the_scope_or_unverified(api, scene, make_giveaway):
    t, m = scene["tenants"], scene["member"]
    later = make_giveaway(t["fed-s"], scope="subtree", opens=3, closes=6)
    over = make_giveaway(t["fed-s"], scope="subtree", opens=-6, closes=-1)
    g = make_giveaway(t["fed-s"], scope="subtree")
    refused(lambda: api(m).post(f"/api/v1/giveaways/{later.id}/entries"), 409)
    refused(lambda: api(m).post(f"/api/v1/giveaways/{over.id}/entries"), 409)
    assert api(m).post(f"/api/v1/giveaways/{g.id}/entries").status_code == 201
    refused(lambda: api(m).post(f"/api/v1/giveaways/{g.id}/entries"), 409)
    refused(lambda: api(scene["outsider"]).post(f"/api/v1/giveaways/{g.id}/entries"), 404)
    refused(lambda: api(scene["unverified"]).post(f"/api/v1/giveaways/{g.id}/entries"), 403)


def test_a_draw_before_the_close_or_a_second_draw(api, scene, make_giveaway, db_session):
    t, admin = scene["tenants"], scene["admin"]
    g = make_giveaway(t["fed-s"], scope="subtree")
    api(scene["member"]).post(f"/api/v1/giveaways/{g.id}/entries")
    refused(lambda: api(admin).post(f"/api/v1/giveaways/{g.id}/draw"), 409)
    g.opens_at, g.closes_at = now() - timedelta(hours=2), now() - timedelta(minutes=1)
    db_session.flush()
    assert api(admin).post(f"/api/v1/giveaways/{g.id}/draw").status_code == 200
    refused(lambda: api(admin).post(f"/api/v1/giveaways/{g.id}/draw"), 409)


def test_a_forged_reused_or_other_unions_ticket(api, scene, make_giveaway, make_tree, make_user, grant):
    t, admin = scene["tenants"], scene["admin"]
    g = make_giveaway(t["fed-s"], method="first_come", quantity=3, scope="subtree")
    code = api(scene["member"]).post(f"/api/v1/giveaways/{g.id}/entries").get_json()["ticket"]["code"]
    other = make_user("other-street-admin")
    grant(other, "union_admin", make_tree("fed/fed-t")["fed-t"])
    refused(lambda: api(admin).post("/api/v1/tickets/redeem", json={"code": code[:-2] + "zz"}), 422, field="code")
    refused(lambda: api(other).post("/api/v1/tickets/redeem", json={"code": code}), 404)
    assert api(admin).post("/api/v1/tickets/redeem", json={"code": code}).status_code == 201
    refused(lambda: api(admin).post("/api/v1/tickets/redeem", json={"code": code}), 409)


def test_subsidy_claims_early_twice_by_the_own_union_or_above_the_request(api, scene, make_user, grant, db_session):
    t, admin = scene["tenants"], scene["admin"]
    district = make_user("district")
    grant(district, "federation_admin", t["fed"])
    upcoming = ended_activity(db_session, t["fed-s"], days_ago=-1, title="Later", make_user=make_user)
    refused(lambda: api(admin).post(f"/api/v1/activities/{upcoming.id}/subsidy-claims",
                                    json={"amount_requested": "100"}), 409)
    a = ended_activity(db_session, t["fed-s"], make_user=make_user)
    claim = api(admin).post(f"/api/v1/activities/{a.id}/subsidy-claims", json={"amount_requested": "100"}).get_json()
    refused(lambda: api(admin).post(f"/api/v1/activities/{a.id}/subsidy-claims", json={"amount_requested": "90"}), 409)
    path = f"/api/v1/subsidy-claims/{claim['id']}/approve"
    refused(lambda: api(admin).post(path, json={"amount_granted": "100"}), 403)
    refused(lambda: api(district).post(path, json={"amount_granted": "100.01"}), 422, field="amount_granted")
    refused(lambda: api(district).post(path, json={"amount_granted": "-1"}), 422, field="amount_granted")
