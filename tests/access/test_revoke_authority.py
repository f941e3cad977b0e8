"""Who may take a right away: someone who could have given it from the level it was given at (or the
platform operator), and never so that nobody manages a union's rights any more."""
import pytest
import sqlalchemy as sa

from union_saas.access.models import Grant
from union_saas.core.audit import AuditEntry


@pytest.fixture
def district(make_tree, make_user, grant, api, db_session):
    tree = make_tree("fed/street/block")
    fed_admin, street_admin = make_user("district-boss"), make_user("street-boss")
    grant(fed_admin, "federation_admin", tree["fed"])
    grant(street_admin, "union_admin", tree["street"], granted_by=fed_admin)
    db_session.commit()
    return {"tree": tree, "fed_admin": fed_admin, "street_admin": street_admin}


def appoint(api, granter, username, slug, role="union_admin"):
    response = api(granter).post(f"/api/v1/tenants/{slug}/grants", json={"username": username, "role": role})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["id"]


def live(db_session, grant_id):
    db_session.expire_all()
    return db_session.get(Grant, grant_id).revoked_at is None


def test_a_street_admin_cannot_revoke_a_co_admin_the_district_appointed(district, api, make_user, db_session):
    make_user("co-admin")
    grant_id = appoint(api, district["fed_admin"], "co-admin", "street")
    response = api(district["street_admin"]).delete(f"/api/v1/grants/{grant_id}")
    assert response.status_code == 403, response.get_data(as_text=True)
    assert live(db_session, grant_id)
    assert db_session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "grant.revoke.refused"))
    assert api(district["fed_admin"]).delete(f"/api/v1/grants/{grant_id}").status_code == 204
    assert not live(db_session, grant_id)


def test_a_street_admin_revokes_what_they_appointed(district, api, make_user, db_session):
    make_user("helper")
    grant_id = appoint(api, district["street_admin"], "helper", "street", role="activity_organizer")
    assert api(district["street_admin"]).delete(f"/api/v1/grants/{grant_id}").status_code == 204


def test_a_grant_the_street_made_below_itself_is_revoked_from_the_street_not_from_below(
        district, api, make_user, grant, db_session):
    block_admin = make_user("block-boss")
    make_user("block-deputy")
    appoint(api, district["street_admin"], "block-boss", "block")
    deputy_id = appoint(api, district["street_admin"], "block-deputy", "block")
    assert api(block_admin).delete(f"/api/v1/grants/{deputy_id}").status_code == 403
    assert api(district["street_admin"]).delete(f"/api/v1/grants/{deputy_id}").status_code == 204


def test_the_last_admin_of_a_federation_cannot_revoke_themself(make_tree, make_user, grant, api, db_session):
    fed = make_tree("alone")["alone"]
    only = make_user("only-boss")
    row = grant(only, "federation_admin", fed)
    response = api(only).delete(f"/api/v1/grants/{row.id}?lang=en")
    assert response.status_code == 409 and "appoint another" in response.json["detail"]
    assert live(db_session, row.id)


def test_an_admin_revoking_their_own_grant_is_told_who_still_manages_the_union(district, login, db_session):
    street_grant = db_session.scalar(sa.select(Grant).where(Grant.user_id == district["street_admin"].id))
    # The street admin leaves; the district's admin still manages the street.
    street_grant.granted_at_id = street_grant.tenant_id  # made at the street's level: they may take it back
    db_session.commit()
    page = login(district["street_admin"])
    response = page.post(f"/manage/grants/{street_grant.id}/revoke", follow_redirects=False)
    assert response.status_code == 302
    html = login(district["fed_admin"]).get("/manage/street/grants").get_data(as_text=True)
    assert not live(db_session, street_grant.id)
    with page.session_transaction() as session:
        flashes = " ".join(message for _category, message in session.get("_flashes", []))
    assert "district-boss at fed" in flashes and html


def test_the_operator_may_revoke_any_grant(district, api, make_user, db_session):
    operator = make_user("the-operator", operator=True)
    street_grant = db_session.scalar(sa.select(Grant.id).where(Grant.user_id == district["street_admin"].id))
    assert api(operator).delete(f"/api/v1/grants/{street_grant}").status_code == 204
