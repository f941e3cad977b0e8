"""Federation-wide reach (API.md): a union below the root asks, the federation's organisers decide."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.activities.conftest import body
from tests.conftest import is_postgres
from union_saas.activities.models import Activity
from union_saas.core.inbox import Notification


@pytest.fixture
def tree(make_tree):
    return make_tree("fed/street/comm", "fed/street2/comm2")


@pytest.fixture
def people(tree, make_user, grant, make_member):
    street_admin, fed_admin, fed_organiser = make_user("street-admin"), make_user("fed-admin"), make_user("org")
    grant(street_admin, "union_admin", tree["street"])
    grant(fed_admin, "federation_admin", tree["fed"])
    grant(fed_organiser, "activity_organizer", tree["fed"])
    workers = {}
    for slug in ("street", "comm", "street2", "comm2"):
        workers[slug] = make_user(f"worker-{slug}")
        make_member(workers[slug], tree[slug])
    return {"street_admin": street_admin, "fed_admin": fed_admin, "fed_organiser": fed_organiser, **workers}


def titles(api, user):
    return {a["title"] for a in api(user).get("/api/v1/activities").json["items"]}


def test_a_street_asks_to_reach_the_whole_federation_and_is_seen_by_its_subtree_until_approved(people, api):
    asked = api(people["street_admin"]).post("/api/v1/tenants/street/activities",
                                            json=body(title="Street football", scope="platform"))
    assert asked.status_code == 201 and asked.json["reach"] == "pending" and asked.json["scope"] == "platform"
    activity_id = asked.json["id"]
    assert "Street football" in titles(api, people["comm"])  # below the street
    assert "Street football" not in titles(api, people["street2"])  # elsewhere in the federation: not yet
    assert api(people["comm2"]).get(f"/api/v1/activities/{activity_id}").status_code == 404

    queue = api(people["fed_organiser"]).get("/api/v1/tenants/fed/reach-requests?status=pending")
    assert queue.status_code == 200 and [a["id"] for a in queue.json["items"]] == [activity_id]
    approved = api(people["fed_organiser"]).post(f"/api/v1/activities/{activity_id}/reach/approve", json={})
    assert approved.status_code == 200 and approved.json["reach"] == "approved"
    assert "Street football" in titles(api, people["street2"]) and "Street football" in titles(api, people["comm2"])
    assert api(people["fed_organiser"]).get("/api/v1/tenants/fed/reach-requests").json["items"] == []
    inbox = api(people["street_admin"]).get("/api/v1/me/notifications").json
    assert inbox["unread"] == 1 and inbox["items"][0]["kind"] == "activity.reach_approved"
    assert "Street football" in inbox["items"][0]["title"]
    # decided: a second decision is a conflict, and changes nothing
    again = api(people["fed_admin"]).post(f"/api/v1/activities/{activity_id}/reach/reject", json={"reason": "x"})
    assert again.status_code == 409


def test_a_rejected_request_stays_with_the_subtree_and_its_publisher_is_told_why(people, api, db_session):
    asked = api(people["street_admin"]).post("/api/v1/tenants/street/activities",
                                            json=body(title="Sales fair", scope="platform"))
    rejected = api(people["fed_admin"]).post(f"/api/v1/activities/{asked.json['id']}/reach/reject",
                                             json={"reason": "Commercial: not for the whole district."})
    assert rejected.status_code == 200 and rejected.json["reach"] == "rejected"
    assert rejected.json["reach_reason"] == "Commercial: not for the whole district."
    assert "Sales fair" in titles(api, people["comm"]) and "Sales fair" not in titles(api, people["street2"])
    told = db_session.scalar(sa.select(Notification).where(Notification.kind == "activity.reach_rejected"))
    assert told.user_id == people["street_admin"].id and told.body == "Commercial: not for the whole district."


def test_the_federations_organisers_publish_federation_wide_at_once(people, api):
    made = api(people["fed_organiser"]).post("/api/v1/tenants/street/activities",
                                            json=body(title="District run", scope="platform"))
    assert made.status_code == 201 and made.json["reach"] == "approved"
    assert "District run" in titles(api, people["comm2"])
    assert api(people["street_admin"]).post("/api/v1/tenants/street/activities",
                                            json=body(scope="subtree")).json["reach"] is None


def test_only_the_federations_organisers_decide_and_only_what_is_pending(people, api, make_activity, tree):
    asked = api(people["street_admin"]).post("/api/v1/tenants/street/activities", json=body(scope="platform"))
    activity_id = asked.json["id"]
    # the street's own admin manages the activity but not the federation: 403; a worker: 404
    assert api(people["street_admin"]).post(f"/api/v1/activities/{activity_id}/reach/approve",
                                            json={}).status_code == 403
    assert api(people["street2"]).post(f"/api/v1/activities/{activity_id}/reach/approve", json={}).status_code == 404
    assert api(people["street_admin"]).get("/api/v1/tenants/street/reach-requests").status_code == 404
    assert api(people["street_admin"]).get("/api/v1/tenants/fed/reach-requests").status_code == 404
    subtree = make_activity(tree["street"], scope="subtree")
    assert api(people["fed_admin"]).post(f"/api/v1/activities/{subtree.id}/reach/approve",
                                         json={}).status_code == 409
    too_long = api(people["fed_admin"]).post(f"/api/v1/activities/{activity_id}/reach/reject",
                                             json={"reason": "x" * 501})
    assert too_long.status_code == 422 and "reason" in too_long.json["errors"]
    assert api(people["fed_admin"]).get(f"/api/v1/activities/{activity_id}").json["reach"] == "pending"


def test_moving_off_federation_wide_drops_the_request(people, api):
    asked = api(people["street_admin"]).post("/api/v1/tenants/street/activities", json=body(scope="platform"))
    back = api(people["street_admin"]).patch(f"/api/v1/activities/{asked.json['id']}", json={"scope": "subtree"})
    assert back.status_code == 200 and back.json["reach"] is None
    assert api(people["fed_admin"]).get("/api/v1/tenants/fed/reach-requests").json["items"] == []


def test_the_review_queue_page_shows_the_count_and_decides(people, login, api):
    asked = api(people["street_admin"]).post("/api/v1/tenants/street/activities",
                                            json=body(title="Choir night", scope="platform"))
    client = login(people["fed_admin"])
    manage = client.get("/manage/fed").get_data(as_text=True)
    assert 'href="/manage/fed/reach"' in manage and 'title="' in manage
    page = client.get("/manage/fed/reach")
    assert page.status_code == 200 and "Choir night" in page.get_data(as_text=True)
    assert "/manage/street/reach" not in login(people["street_admin"]).get("/manage/street").get_data(as_text=True)
    decided = client.post(f"/manage/activities/{asked.json['id']}/reach/approve")
    assert decided.status_code == 302
    assert "Choir night" in titles(api, people["comm2"])
    form = login(people["street_admin"]).get("/manage/street/activities/new").get_data(as_text=True)
    assert "platform" in form


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="real concurrent transactions need PostgreSQL")
def test_two_organisers_deciding_at_once_one_wins_the_other_gets_409(app, committed):
    from sqlalchemy.orm import Session

    from union_saas.access.models import Grant
    from union_saas.accounts.models import User
    from union_saas.activities import services
    from union_saas.core.db import utcnow
    from union_saas.core.errors import Conflict
    from union_saas.extensions import db
    from union_saas.tenancy import services as tenancy

    s = committed.session
    fed = tenancy.create_federation(s, None, slug="reach-race", name="Race")
    street = tenancy.create_child(s, None, fed, slug="reach-race-s", name="Street", kind="street")
    deciders = [User(username=f"race-decider-{i}", display_name="D", password_hash="x") for i in range(2)]
    s.add_all(deciders)
    s.flush()
    s.add_all([Grant(user_id=u.id, role="federation_admin", tenant_id=fed.id, root_id=fed.id) for u in deciders])
    starts = utcnow() + timedelta(days=2)
    activity = Activity(tenant_id=street.id, root_id=fed.id, title="Race", scope="platform", reach="pending",
                        status="published", starts_at=starts, ends_at=starts + timedelta(hours=2), description="",
                        description_html="")
    s.add(activity)
    s.commit()
    committed.roots.append(fed.id)
    committed.users.extend(u.id for u in deciders)
    activity_id, ids = activity.id, [u.id for u in deciders]
    barrier, outcomes = threading.Barrier(2), []

    def decide(user_id, approve):
        with app.app_context(), Session(db.engine) as session:
            user = session.get(User, user_id)
            target = session.get(Activity, activity_id)
            session.refresh(target, ["tenant"])
            barrier.wait()
            try:
                services.decide_reach(session, user, target, approve=approve)
                session.commit()
                outcomes.append("won")
            except Conflict:
                session.rollback()
                outcomes.append(409)

    threads = [threading.Thread(target=decide, args=(ids[0], True)), threading.Thread(target=decide, args=(ids[1], False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == [409, "won"]
    s.expire_all()
    assert s.get(Activity, activity_id).reach in ("approved", "rejected")
    told = s.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.subject_id == activity_id))
    assert told == 0  # nobody created it through the app: nobody to tell, and nothing told twice
