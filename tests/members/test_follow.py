"""Following a union, apart from membership."""
import sqlalchemy as sa

from union_saas.members import services
from union_saas.members.models import Follow


def test_a_non_member_follows_and_is_counted_apart_from_members(make_tree, make_user, make_applicant, api,
                                                               db_session):
    tree = make_tree("fed/street")
    make_applicant(tree["street"], "active")
    fan = make_user()
    first = api(fan).post("/api/v1/tenants/street/follow")
    assert first.status_code == 201
    assert first.json == {"tenant": "street", "following": True, "followers": 1, "members": 1}
    assert api(fan).post("/api/v1/tenants/street/follow").status_code == 200  # idempotent
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 1
    assert services.followed_root_ids(db_session, fan) == [tree["fed"].id]
    assert api(fan).get("/api/v1/me/follows").json["items"][0]["tenant"] == "street"
    assert api(fan).delete("/api/v1/tenants/street/follow").status_code == 204
    assert services.followed_root_ids(db_session, fan) == []


def test_public_home_shows_members_and_followers_and_a_follow_button(make_tree, make_user, make_applicant, login,
                                                                    client):
    tree = make_tree("fed/street")
    make_applicant(tree["street"], "active")
    make_applicant(tree["street"], "pending")
    fan = make_user()
    page = login(fan)
    assert page.post("/t/street/follow?lang=en", data={"action": "follow"}).status_code == 302
    response = page.get("/t/street?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[-2000:]
    assert 'id="membership"' in html and "Following" in html
    assert ">1</span> <span class=\"muted\">members" in html and ">1</span> <span class=\"muted\">followers" in html
    anonymous = client.get("/t/street?lang=en").get_data(as_text=True)
    assert "Sign in to join or follow" in anonymous


def test_an_archived_union_cannot_be_followed(make_tree, make_user, api, db_session):
    tree = make_tree("fed/street")
    tree["street"].status = "archived"
    db_session.flush()
    assert api(make_user()).post("/api/v1/tenants/street/follow").status_code == 404
