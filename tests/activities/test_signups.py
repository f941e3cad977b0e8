"""Sign up, waitlist, cancel and promote; capacity holds and nobody is signed up twice."""

import pytest
import sqlalchemy as sa

from tests.activities.conftest import soon
from union_saas.activities.models import Activity, SignUp
from union_saas.core.inbox import Notification


@pytest.fixture
def tree(make_tree):
    return make_tree("fed/street/comm", "fed/street2")


def members(make_user, make_member, tenant, n):
    users = [make_user() for _ in range(n)]
    for user in users:
        make_member(user, tenant)
    return users


def test_confirmed_while_places_remain_then_waitlisted_with_a_position(tree, make_user, make_member,
                                                                       make_activity, api):
    activity = make_activity(tree["comm"], capacity=2)
    people = members(make_user, make_member, tree["comm"], 4)
    answers = [api(u).post(f"/api/v1/activities/{activity.id}/signups") for u in people]
    assert [r.status_code for r in answers] == [201] * 4
    assert [r.json["status"] for r in answers] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r.json.get("position") for r in answers[2:]] == [1, 2]
    doc = api(people[0]).get(f"/api/v1/activities/{activity.id}").json
    assert doc["confirmed_count"] == 2 and doc["waitlist_count"] == 2 and doc["remaining"] == 0
    assert doc["my_signup"] == {"status": "confirmed"}
    assert api(people[3]).get(f"/api/v1/activities/{activity.id}").json["my_signup"] == {
        "status": "waitlisted", "position": 2}


def test_signing_up_twice_is_a_conflict(tree, make_user, make_member, make_activity, api, db_session):
    activity = make_activity(tree["comm"], capacity=5)
    (member,) = members(make_user, make_member, tree["comm"], 1)
    db_session.commit()
    assert api(member).post(f"/api/v1/activities/{activity.id}/signups").status_code == 201
    again = api(member).post(f"/api/v1/activities/{activity.id}/signups")
    assert again.status_code == 409
    assert db_session.scalar(sa.select(Activity.confirmed_count).where(Activity.id == activity.id)) == 1


def test_cancelling_confirms_the_first_on_the_waitlist_and_tells_them(tree, make_user, make_member, make_activity,
                                                                      api, db_session):
    activity = make_activity(tree["comm"], capacity=1)
    first, second, third = members(make_user, make_member, tree["comm"], 3)
    for user in (first, second, third):
        api(user).post(f"/api/v1/activities/{activity.id}/signups")
    assert api(first).delete(f"/api/v1/activities/{activity.id}/signups/me").status_code == 204
    assert api(second).get(f"/api/v1/activities/{activity.id}").json["my_signup"] == {"status": "confirmed"}
    assert api(third).get(f"/api/v1/activities/{activity.id}").json["my_signup"] == {
        "status": "waitlisted", "position": 1}
    told = db_session.scalars(sa.select(Notification).where(Notification.kind == "activity.promoted")).all()
    assert [n.user_id for n in told] == [second.id]
    assert api(second).get("/api/v1/me/notifications").json["items"][0]["kind"] == "activity.promoted"
    # cancelling from the waitlist promotes nobody
    assert api(third).delete(f"/api/v1/activities/{activity.id}/signups/me").status_code == 204
    row = db_session.get(Activity, activity.id)
    db_session.refresh(row)
    assert (row.confirmed_count, row.waitlist_count) == (1, 0)
    # and one may sign up again after cancelling
    assert api(first).post(f"/api/v1/activities/{activity.id}/signups").json["status"] == "waitlisted"
    assert api(first).delete(f"/api/v1/activities/{activity.id}/signups/me").status_code == 204
    assert api(first).delete(f"/api/v1/activities/{activity.id}/signups/me").status_code == 404


def test_signup_outside_the_window_is_a_conflict_and_changes_nothing(tree, make_user, make_member, make_activity,
                                                                     api, db_session):
    closed = make_activity(tree["comm"], capacity=5, signup_closes_at=soon(-1), starts_at=soon(1))
    not_yet = make_activity(tree["comm"], capacity=5, signup_opens_at=soon(10), starts_at=soon(20))
    started = make_activity(tree["comm"], capacity=5, starts_at=soon(-1))
    (member,) = members(make_user, make_member, tree["comm"], 1)
    db_session.commit()
    for activity in (closed, not_yet, started):
        response = api(member).post(f"/api/v1/activities/{activity.id}/signups")
        assert response.status_code == 409, response.json
    assert db_session.scalar(sa.select(sa.func.count()).select_from(SignUp)) == 0


def test_members_only_needs_a_verified_member(tree, make_user, make_activity, api, db_session):
    from union_saas.members.models import Follow

    members_only = make_activity(tree["street"], scope="platform", members_only=True)
    open_to_all = make_activity(tree["street"], scope="platform", members_only=False)
    follower = make_user()
    db_session.add(Follow(user_id=follower.id, tenant_id=tree["street2"].id, root_id=tree["fed"].id))
    db_session.commit()
    assert api(follower).post(f"/api/v1/activities/{members_only.id}/signups").status_code == 403
    assert api(follower).post(f"/api/v1/activities/{open_to_all.id}/signups").status_code == 201


def test_outsider_cannot_sign_up_for_what_they_cannot_see(tree, make_user, make_member, make_activity, api,
                                                          db_session):
    activity = make_activity(tree["comm"])
    (outsider,) = members(make_user, make_member, tree["street2"], 1)
    db_session.commit()
    assert api(outsider).post(f"/api/v1/activities/{activity.id}/signups").status_code == 404
    assert api(outsider).delete(f"/api/v1/activities/{activity.id}/signups/me").status_code == 404


def test_raising_capacity_promotes_the_waitlist_in_order(tree, make_user, make_member, grant, make_activity, api,
                                                         db_session):
    activity = make_activity(tree["comm"], capacity=1)
    people = members(make_user, make_member, tree["comm"], 4)
    for user in people:
        api(user).post(f"/api/v1/activities/{activity.id}/signups")
    admin = make_user()
    grant(admin, "union_admin", tree["comm"])
    db_session.commit()
    assert api(admin).patch(f"/api/v1/activities/{activity.id}", json={"capacity": 3}).json["confirmed_count"] == 3
    assert api(people[3]).get(f"/api/v1/activities/{activity.id}").json["my_signup"]["position"] == 1
    assert api(admin).patch(f"/api/v1/activities/{activity.id}", json={"capacity": 2}).status_code == 422


def test_sign_up_pages(tree, make_user, make_member, make_activity, login_en, db_session):
    activity = make_activity(tree["comm"], capacity=1, description="x")
    first, second = members(make_user, make_member, tree["comm"], 2)
    db_session.commit()
    page = login_en(first).get(f"/activities/{activity.id}")
    assert page.status_code == 200 and "Sign up" in page.get_data(as_text=True)
    assert login_en(first).post(f"/activities/{activity.id}/signup").status_code == 302
    client = login_en(second)
    assert client.post(f"/activities/{activity.id}/signup").status_code == 302
    assert "number 1 on the waitlist" in client.get(f"/activities/{activity.id}").get_data(as_text=True)
    mine = client.get("/t/comm/me/activities")
    assert mine.status_code == 200 and "Number 1 on the waitlist" in mine.get_data(as_text=True)
    assert client.post(f"/activities/{activity.id}/signup/cancel").status_code == 302


def test_ids_beyond_the_database_integer_answer_404(make_user, api, db_session):
    client = api(make_user())
    db_session.commit()
    assert client.get("/api/v1/activities/99999999999999999999").status_code == 404
    assert client.delete("/api/v1/activities/1/signups/99999999999999999999").status_code == 404
