"""Delegation through the API and pages: escalation, revocation, "why?", audit, query counts."""
import pytest
import sqlalchemy as sa

from union_saas.access.models import Grant
from union_saas.core.audit import AuditEntry
from union_saas.tenancy import services as tenancy


@pytest.fixture
def district(make_tree, make_user, grant):
    t = make_tree("fed/street/community", "fed/street2")
    users = {name: make_user(name) for name in ("boss", "streetadmin", "officer", "newbie")}
    grant(users["boss"], "federation_admin", t["fed"])
    grant(users["streetadmin"], "union_admin", t["street"], granted_by=users["boss"])
    grant(users["officer"], "union_officer", t["street"], granted_by=users["boss"])
    return t, users


def live_grants(db_session):
    return db_session.scalar(sa.select(sa.func.count()).select_from(Grant).where(Grant.revoked_at.is_(None)))


def test_a_street_admin_delegates_inside_the_street(district, api):
    _t, users = district
    response = api(users["streetadmin"]).post("/api/v1/tenants/community/grants",
                                              json={"username": "newbie", "role": "member_reviewer"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["user"], body["role"], body["tenant"], body["granted_by"]) == (
        "newbie", "member_reviewer", "community", "streetadmin")


def test_nobody_grants_beyond_what_they_hold_and_the_refusal_is_audited(district, api, db_session):
    _t, users = district
    before = live_grants(db_session)
    response = api(users["streetadmin"]).post("/api/v1/tenants/street/grants",
                                              json={"username": "newbie", "role": "federation_admin"})
    assert response.status_code in (403, 422)  # federation_admin exists only at federations: 422
    response = api(users["streetadmin"]).post("/api/v1/tenants/street/grants",
                                              json={"username": "newbie", "role": "union_admin"})
    assert response.status_code == 201
    # the officer lacks grant.manage: 403, nothing written
    before = live_grants(db_session)
    response = api(users["officer"]).post("/api/v1/tenants/street/grants",
                                          json={"username": "newbie", "role": "activity_organizer"})
    assert response.status_code == 403
    assert live_grants(db_session) == before


def test_a_role_with_permissions_the_granter_lacks_is_refused(district, api, grant, make_user, db_session):
    t, _users = district
    # a union admin at the federation holds grant.manage there, but not every permission (member.view_sensitive)
    lead = make_user("lead")
    grant(lead, "union_admin", t["fed"])
    before = live_grants(db_session)
    response = api(lead).post("/api/v1/tenants/fed/grants", json={"username": "newbie", "role": "federation_admin"})
    assert response.status_code == 403 and "role" in response.get_json()["errors"]
    assert live_grants(db_session) == before
    refusal = db_session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "grant.create.refused"))
    assert refusal is not None and refusal.actor_id == lead.id and refusal.target == "newbie"
    assert "member.view_sensitive" in refusal.detail["missing"]


def test_a_sibling_or_stranger_sees_nothing(district, api, make_user, grant, make_tree):
    t, users = district
    sibling = make_user("sibling")
    grant(sibling, "union_admin", t["street2"])
    for path in ("/api/v1/tenants/street/grants", "/api/v1/tenants/street/audit"):
        assert api(sibling).get(path).status_code == 404
        assert api(users["newbie"]).get(path).status_code == 404


def test_unknown_user_and_unknown_role(district, api):
    _t, users = district
    client = api(users["boss"])
    assert client.post("/api/v1/tenants/street/grants", json={"username": "ghost", "role": "union_admin"}).status_code == 404
    response = client.post("/api/v1/tenants/street/grants", json={"username": "newbie", "role": "king"})
    assert response.status_code == 422 and response.get_json()["errors"]["role"]


def test_granting_twice_is_a_conflict(district, api):
    _t, users = district
    client = api(users["boss"])
    assert client.post("/api/v1/tenants/street/grants", json={"username": "newbie", "role": "union_officer"}).status_code == 201
    assert client.post("/api/v1/tenants/street/grants", json={"username": "newbie", "role": "union_officer"}).status_code == 409


def test_revoking_takes_the_rights_away_and_grants_outlive_their_granter(district, api, db_session):
    _t, users = district
    boss = api(users["boss"])
    made = api(users["streetadmin"]).post("/api/v1/tenants/community/grants",
                                          json={"username": "newbie", "role": "union_admin"}).get_json()
    assert api(users["newbie"]).get("/api/v1/tenants/community/grants").status_code == 200
    # revoking the granter leaves what they appointed in place
    street_admin_grant = db_session.scalar(sa.select(Grant.id).where(Grant.user_id == users["streetadmin"].id))
    assert boss.delete(f"/api/v1/grants/{street_admin_grant}").status_code == 204
    assert api(users["newbie"]).get("/api/v1/tenants/community/grants").status_code == 200
    assert api(users["streetadmin"]).get("/api/v1/tenants/street/grants").status_code == 404
    assert boss.delete(f"/api/v1/grants/{made['id']}").status_code == 204
    assert api(users["newbie"]).get("/api/v1/tenants/community/grants").status_code == 404
    assert boss.delete(f"/api/v1/grants/{made['id']}").status_code == 404


def test_a_street_admin_cannot_revoke_the_district_admin(district, api, db_session):
    t, users = district
    boss_grant = db_session.scalar(sa.select(Grant.id).where(Grant.user_id == users["boss"].id))
    assert api(users["streetadmin"]).delete(f"/api/v1/grants/{boss_grant}").status_code == 404
    # a grant at the street of a role with more than the street admin holds: 403
    from union_saas.access.models import Grant as G

    strong = G(user_id=users["newbie"].id, role="union_admin", tenant_id=t["street"].id, root_id=t["fed"].id)
    db_session.add(strong)
    db_session.flush()
    lead_grant = db_session.scalar(sa.select(Grant.id).where(Grant.user_id == users["officer"].id))
    assert api(users["officer"]).delete(f"/api/v1/grants/{lead_grant}").status_code == 403


def test_explain_names_the_grant_that_allows(district, api):
    _t, users = district
    client = api(users["boss"])
    body = client.get("/api/v1/tenants/community/access/explain?username=streetadmin&permission=member.review").get_json()
    assert body["allowed"] is True
    assert (body["grant"]["role"], body["grant"]["tenant"], body["grant"]["granted_by"]) == ("union_admin", "street", "boss")
    body = client.get("/api/v1/tenants/community/access/explain?username=officer&permission=grant.manage").get_json()
    assert body == {"allowed": False, "grant": None}
    bad = client.get("/api/v1/tenants/community/access/explain?username=officer&permission=nope")
    assert bad.status_code == 422


def test_the_grants_page_grants_and_explains(district, login, db_session):
    _t, users = district
    page = login(users["streetadmin"])
    response = page.post("/manage/street/grants", data={"username": "newbie", "role": "activity_organizer"})
    assert response.status_code == 302
    html = page.get("/manage/street/grants?explain_user=newbie&permission=activity.manage").get_data(as_text=True)
    assert "newbie" in html and 'class="explain"' in html
    refused = page.post("/manage/street/grants", data={"username": "newbie", "role": "federation_admin"})
    assert refused.status_code in (403, 422) and 'value="newbie"' in refused.get_data(as_text=True)


def test_every_grant_and_revoke_is_in_the_audit_of_the_tenant_and_its_ancestors(district, api):
    _t, users = district
    client = api(users["boss"])
    made = client.post("/api/v1/tenants/community/grants", json={"username": "newbie", "role": "union_officer"}).get_json()
    client.delete(f"/api/v1/grants/{made['id']}")
    for slug in ("community", "street", "fed"):
        items = client.get(f"/api/v1/tenants/{slug}/audit").get_json()["items"]
        actions = {(e["action"], e["target"], e["actor"]) for e in items}
        assert {("grant.create", "newbie", "boss"), ("grant.revoke", "newbie", "boss")} <= actions
    assert not [e for e in client.get("/api/v1/tenants/street2/audit").get_json()["items"]
                if e["action"].startswith("grant.")]


def test_audit_entries_cannot_be_changed(db_session):
    entry = AuditEntry(action="x")
    db_session.add(entry)
    db_session.flush()
    entry.action = "y"
    with pytest.raises(RuntimeError):
        db_session.flush()


def test_roles_are_listed_with_labels_in_the_callers_language(district, api):
    _t, users = district
    body = api(users["newbie"]).get("/api/v1/roles", headers={"Accept-Language": "en"}).get_json()
    admin = next(r for r in body["items"] if r["name"] == "union_admin")
    assert admin["label"] == "Union administrator" and "grant.manage" in admin["permissions"]
    body = api(users["newbie"]).get("/api/v1/roles", headers={"Accept-Language": "zh-CN"}).get_json()
    assert next(r for r in body["items"] if r["name"] == "union_admin")["label"] == "工会管理员"


def wide_tree(db_session, size):
    tenancy.import_tree(db_session, None, {"slug": "wide", "name": "Wide", "kind": "federation",
                                           "children": [{"slug": f"w-{i}", "name": f"W {i}", "kind": "street"}
                                                        for i in range(size)]})
    return tenancy.get_by_slug(db_session, "wide")


COUNTS = {}


@pytest.mark.parametrize("size", [10, 5000])
def test_grants_page_and_me_do_the_same_queries_at_any_size(size, db_session, make_user, grant, login, api,
                                                           queries_of):
    root = wide_tree(db_session, size)
    admin = make_user("wideadmin")
    grant(admin, "federation_admin", root)
    for i in range(0, min(size, 40), 2):  # a few grants spread over the tree
        grant(make_user(f"helper{i}"), "union_officer", tenancy.get_by_slug(db_session, f"w-{i}"))
        grant(admin, "union_officer", tenancy.get_by_slug(db_session, f"w-{i + 1}"))
    page, client = login(admin), api(admin)
    counts = queries_of(*(lambda: page.get("/manage/wide/grants?include=subtree"), lambda: page.get("/manage/w-3/grants"),
                 lambda: client.get("/api/v1/me"), lambda: client.get("/api/v1/tenants/wide/grants?include=subtree"),
                 lambda: page.get("/manage/wide/audit")))
    COUNTS[size] = counts
    if len(COUNTS) == 2:
        assert COUNTS[10] == COUNTS[5000]
