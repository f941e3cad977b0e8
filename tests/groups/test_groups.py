"""Interest groups through the API: start, review, find, join, organise, group activities, oversight."""
from datetime import timedelta

import sqlalchemy as sa

from tests.groups.conftest import activity_body
from union_saas.activities.models import Activity, SignUp
from union_saas.core.db import utcnow
from union_saas.core.inbox import Notification
from union_saas.groups.models import Group, GroupInvite, GroupMember


def told(db_session, user, kind):
    return db_session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind))


def rows(db_session, group):
    return db_session.scalar(sa.select(sa.func.count()).select_from(GroupMember).where(GroupMember.group_id == group))


# --- start and review --------------------------------------------------------------------------------

def test_an_organiser_starts_an_institutional_group_active_at_once(api, place):
    r = api(place.u["street_admin"]).post("/api/v1/tenants/street/groups", json={
        "name": "Choir", "description": "We sing.", "join_policy": "approval", "scope": "subtree"})
    assert r.status_code == 201, r.json
    assert r.json["kind"] == "institutional" and r.json["status"] == "active"
    assert r.json["founder"] == "street-admin" and r.json["organisers"] == ["street-admin"]
    assert r.json["members_count"] == 1 and r.json["reach"] is None


def test_a_member_proposes_an_individual_group_that_the_union_reviews(api, place, db_session):
    worker = place.u["community_worker"]  # a member of the community below the street
    r = api(worker).post("/api/v1/tenants/street/groups", json={"name": "Chess", "join_policy": "open",
                                                                "scope": "platform"})
    assert r.status_code == 201, r.json
    assert (r.json["kind"], r.json["status"], r.json["reach"]) == ("individual", "pending", "pending")
    gid = r.json["id"]
    # pending: its founder and the reviewers see it, nobody else
    assert api(worker).get(f"/api/v1/groups/{gid}").status_code == 200
    assert api(place.u["worker"]).get(f"/api/v1/groups/{gid}").status_code == 404
    assert api(place.u["street_admin"]).get(f"/api/v1/groups/{gid}").status_code == 200
    assert api(worker).post(f"/api/v1/groups/{gid}/approve", json={}).status_code == 404
    r = api(place.u["street_admin"]).post(f"/api/v1/groups/{gid}/approve", json={})
    assert r.status_code == 200 and r.json["status"] == "active"
    assert told(db_session, worker, "group.approved") == 1
    assert api(place.u["street_admin"]).post(f"/api/v1/groups/{gid}/reject", json={}).status_code == 409
    # federation-wide: the district decides, as for activities
    assert api(place.u["street_admin"]).post(f"/api/v1/groups/{gid}/reach/approve", json={}).status_code == 403
    queue = api(place.u["fed_admin"]).get("/api/v1/tenants/fed/group-reach-requests")
    assert [g["id"] for g in queue.json["items"]] == [gid]
    assert api(place.u["neighbour"]).get(f"/api/v1/groups/{gid}").status_code == 404  # subtree until approved
    r = api(place.u["fed_admin"]).post(f"/api/v1/groups/{gid}/reach/approve", json={})
    assert r.status_code == 200 and r.json["reach"] == "approved"
    assert api(place.u["neighbour"]).get(f"/api/v1/groups/{gid}").status_code == 200
    assert told(db_session, worker, "group.reach_approved") == 1


def test_a_rejected_group_is_told_why_and_leaves_its_name_free(api, place, db_session):
    worker = place.u["worker"]
    gid = api(worker).post("/api/v1/tenants/street/groups", json={"name": "Cards"}).json["id"]
    r = api(place.u["street_admin"]).post(f"/api/v1/groups/{gid}/reject", json={"reason": "Gambling"})
    assert r.status_code == 200 and r.json["status"] == "rejected"
    note = db_session.scalar(sa.select(Notification).where(Notification.user_id == worker.id,
                                                          Notification.kind == "group.rejected"))
    assert note.body == "Gambling"
    assert api(worker).post("/api/v1/tenants/street/groups", json={"name": "Cards"}).status_code == 201


def test_a_second_group_of_the_same_name_at_a_union_is_409(api, place, db_session):
    admin = place.u["street_admin"]
    assert api(admin).post("/api/v1/tenants/street/groups", json={"name": "Choir"}).status_code == 201
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Group))
    r = api(place.u["worker"]).post("/api/v1/tenants/street/groups", json={"name": "  choir "})
    assert r.status_code == 409
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Group)) == before
    # the same name at another union is another group
    assert api(place.u["other_admin"]).post("/api/v1/tenants/other/groups", json={"name": "Choir"}).status_code == 201


def test_bad_fields_are_422_and_strangers_403(api, place, db_session):
    r = api(place.u["street_admin"]).post("/api/v1/tenants/street/groups", json={
        "name": "", "join_policy": "sometimes", "scope": "galaxy"})
    assert r.status_code == 422
    assert set(r.json["errors"]) == {"name", "join_policy", "scope"}
    # a member of another union may not start a group here
    r = api(place.u["neighbour"]).post("/api/v1/tenants/street/groups", json={"name": "Chess"})
    assert r.status_code == 403
    assert api(place.u["outsider"]).post("/api/v1/tenants/street/groups", json={"name": "Chess"}).status_code == 403
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Group)) == 0


# --- find and join -----------------------------------------------------------------------------------

def test_the_list_shows_what_the_scope_reaches(api, place, make_group):
    street, other = place.t["street"], place.t["other"]
    mine = make_group(street, place.u["worker"], name="Street runners", scope="subtree")
    make_group(other, place.u["neighbour"], name="Other runners", scope="tenant")
    wide = make_group(other, place.u["other_admin"], name="District choir", scope="platform", reach="approved",
                      kind="institutional")
    listed = api(place.u["community_worker"]).get("/api/v1/groups").json
    assert {g["id"] for g in listed["items"]} == {mine.id, wide.id}
    near = api(place.u["community_worker"]).get("/api/v1/groups?where=near").json
    assert {g["id"] for g in near["items"]} == {mine.id}
    hosted = api(place.u["community_worker"]).get("/api/v1/groups?tenant=other").json
    assert {g["id"] for g in hosted["items"]} == {wide.id}
    assert api(place.u["neighbour"]).get(f"/api/v1/groups/{mine.id}").status_code == 404


def test_join_open_ask_approval_and_the_member_list_is_for_organisers(api, place, make_group, db_session):
    founder, worker, other = place.u["worker"], place.u["worker2"], place.u["community_worker"]
    open_group = make_group(place.t["street"], founder, name="Open")
    r = api(worker).post(f"/api/v1/groups/{open_group.id}/members", json={})
    assert r.status_code == 201 and r.json == {"status": "active"}
    assert api(worker).post(f"/api/v1/groups/{open_group.id}/members", json={}).status_code == 409  # joining twice
    db_session.expire_all()
    assert db_session.get(Group, open_group.id).members_count == 2
    assert rows(db_session, open_group.id) == 2
    assert api(worker).get(f"/api/v1/groups/{open_group.id}/members").status_code == 403
    assert api(place.u["neighbour"]).get(f"/api/v1/groups/{open_group.id}/members").status_code == 404
    listed = api(founder).get(f"/api/v1/groups/{open_group.id}/members").json
    assert [m["user"] for m in listed["items"]] == ["worker", "worker2"]

    closed = make_group(place.t["street"], founder, name="Approval", join_policy="approval")
    r = api(other).post(f"/api/v1/groups/{closed.id}/members", json={})
    assert r.status_code == 201 and r.json == {"status": "pending"}
    assert told(db_session, founder, "group.join_asked") == 1
    assert api(worker).post(f"/api/v1/groups/{closed.id}/members/community-worker/approve").status_code == 404
    r = api(founder).post(f"/api/v1/groups/{closed.id}/members/community-worker/approve")
    assert r.status_code == 200 and r.json["status"] == "active"
    assert told(db_session, other, "group.join_approved") == 1
    assert api(founder).post(f"/api/v1/groups/{closed.id}/members/community-worker/approve").status_code == 409
    assert api(other).get("/api/v1/groups?joined=1").json["items"][0]["id"] == closed.id


def test_invitations_by_name_and_by_a_share_link_used_once(api, place, make_group, db_session):
    founder = place.u["worker"]
    group = make_group(place.t["street"], founder, name="Invite only", join_policy="invite")
    assert api(place.u["worker2"]).post(f"/api/v1/groups/{group.id}/members", json={}).status_code == 403
    r = api(founder).post(f"/api/v1/groups/{group.id}/invitations", json={"username": "worker2"})
    assert r.status_code == 201 and r.json == {"user": "worker2", "status": "invited", "url": None, "code": None,
                                               "qr_svg": None} or r.json["status"] == "invited"
    assert told(db_session, place.u["worker2"], "group.invited") == 1
    assert api(founder).post(f"/api/v1/groups/{group.id}/invitations", json={"username": "worker2"}).status_code == 409
    assert api(founder).post(f"/api/v1/groups/{group.id}/invitations",
                             json={"username": "nobody"}).status_code == 422
    assert api(place.u["worker2"]).post(f"/api/v1/groups/{group.id}/members", json={}).json == {"status": "active"}

    link = api(founder).post(f"/api/v1/groups/{group.id}/invitations", json={}).json
    assert link["url"].endswith(f"/groups/{group.id}/invitation/{link['code']}") and "<svg" in link["qr_svg"]
    forged = api(place.u["community_worker"]).post(f"/api/v1/groups/{group.id}/members", json={"code": "forged"})
    assert forged.status_code == 422 and "code" in forged.json["errors"]
    assert api(place.u["community_worker"]).post(f"/api/v1/groups/{group.id}/members",
                                                 json={"code": link["code"]}).json == {"status": "active"}
    before = rows(db_session, group.id)
    reused = api(place.u["juror"]).post(f"/api/v1/groups/{group.id}/members", json={"code": link["code"]})
    assert reused.status_code == 409
    assert rows(db_session, group.id) == before
    invite = db_session.scalar(sa.select(GroupInvite).where(GroupInvite.group_id == group.id))
    assert invite.used_by_id == place.u["community_worker"].id


def test_organisers_remove_members_and_name_co_organisers(api, place, make_group, db_session):
    founder, worker = place.u["worker"], place.u["worker2"]
    group = make_group(place.t["street"], founder)
    api(worker).post(f"/api/v1/groups/{group.id}/members", json={})
    api(place.u["juror"]).post(f"/api/v1/groups/{group.id}/members", json={})
    assert api(worker).delete(f"/api/v1/groups/{group.id}/members/juror").status_code == 403
    r = api(founder).post(f"/api/v1/groups/{group.id}/members/worker2/role", json={"role": "organiser"})
    assert r.status_code == 200 and r.json["role"] == "organiser"
    assert told(db_session, worker, "group.organiser") == 1
    assert api(worker).delete(f"/api/v1/groups/{group.id}/members/juror").status_code == 204
    assert told(db_session, place.u["juror"], "group.removed") == 1
    assert api(worker).delete(f"/api/v1/groups/{group.id}/members/worker").status_code == 409  # the founder stays
    assert api(founder).delete(f"/api/v1/groups/{group.id}/members/me").status_code == 409
    assert api(worker).delete(f"/api/v1/groups/{group.id}/members/me").status_code == 204
    assert api(worker).delete(f"/api/v1/groups/{group.id}/members/me").status_code == 404
    db_session.expire_all()
    assert db_session.get(Group, group.id).members_count == 1
    assert sorted(api(founder).get(f"/api/v1/groups/{group.id}").json["organisers"]) == ["worker"]


# --- group activities --------------------------------------------------------------------------------

def test_a_group_activity_is_for_its_members_unless_published_wider(api, place, make_group, db_session):
    founder = place.u["worker"]
    group = make_group(place.t["street"], founder)
    api(place.u["community_worker"]).post(f"/api/v1/groups/{group.id}/members", json={})
    assert api(place.u["community_worker"]).post(f"/api/v1/groups/{group.id}/activities",
                                                 json=activity_body()).status_code == 403
    r = api(founder).post(f"/api/v1/groups/{group.id}/activities", json=activity_body())
    assert r.status_code == 201, r.json
    aid = r.json["id"]
    assert r.json["group"] == group.id
    assert api(place.u["community_worker"]).get(f"/api/v1/activities/{aid}").status_code == 200
    assert api(place.u["worker2"]).get(f"/api/v1/activities/{aid}").status_code == 404  # same union, not a member
    assert aid not in [a["id"] for a in api(place.u["worker2"]).get("/api/v1/activities").json["items"]]
    assert aid in [a["id"] for a in api(place.u["community_worker"]).get("/api/v1/activities").json["items"]]
    # every rule of activities: a member signs up; the founder (no grant) organises it as its group's organiser
    assert api(place.u["community_worker"]).post(f"/api/v1/activities/{aid}/signups").json["status"] == "confirmed"
    assert api(founder).get(f"/api/v1/activities/{aid}/signups").status_code == 200
    assert api(founder).get(f"/api/v1/activities/{aid}/checkin-code").status_code == 200
    assert api(place.u["community_worker"]).get(f"/api/v1/activities/{aid}/signups").status_code == 404

    wide = api(founder).post(f"/api/v1/groups/{group.id}/activities", json=activity_body(scope="tenant"))
    assert wide.status_code == 201
    assert api(place.u["worker2"]).get(f"/api/v1/activities/{wide.json['id']}").status_code == 200
    platform = api(founder).post(f"/api/v1/groups/{group.id}/activities", json=activity_body(scope="platform"))
    assert platform.json["reach"] == "pending"  # the district's review, as for every activity
    listed = api(place.u["worker2"]).get(f"/api/v1/groups/{group.id}/activities").json["items"]
    assert {a["id"] for a in listed} == {wide.json["id"], platform.json["id"]}


def test_the_group_numbers_count_its_held_activities(api, place, make_group, db_session):
    group = make_group(place.t["street"], place.u["worker"])
    past = utcnow() - timedelta(days=3)
    for n, checked in ((3, 2), (2, 0)):
        activity = Activity(tenant_id=group.tenant_id, root_id=group.root_id, title="Held", scope="tenant",
                            status="published", starts_at=past, ends_at=past + timedelta(hours=2), group_id=group.id,
                            group_only=True, description="", description_html="", confirmed_count=n)
        db_session.add(activity)
        db_session.flush()
        users = [place.u[k] for k in ("worker", "worker2", "juror")][:n]
        db_session.add_all([SignUp(activity_id=activity.id, user_id=u.id, root_id=group.root_id, status="confirmed",
                                   checked_in_at=past if i < checked else None) for i, u in enumerate(users)])
    db_session.flush()
    numbers = api(place.u["worker"]).get(f"/api/v1/groups/{group.id}").json["numbers"]
    assert numbers == {"activities_held": 2, "participants": 5, "checkins": 2}


# --- oversight ------------------------------------------------------------------------------------

def test_oversight_flags_90_days_without_activity_and_archives_with_a_reason(api, place, make_group, db_session):
    old = utcnow() - timedelta(days=200)
    quiet = make_group(place.t["community"], place.u["community_worker"], name="Quiet", created_at=old)
    busy = make_group(place.t["street"], place.u["worker"], name="Busy", created_at=old)
    recent = utcnow() - timedelta(days=10)
    db_session.add(Activity(tenant_id=busy.tenant_id, root_id=busy.root_id, title="Recent", scope="tenant",
                            status="published", starts_at=recent, ends_at=recent + timedelta(hours=1),
                            group_id=busy.id, group_only=True, description="", description_html=""))
    make_group(place.t["other"], place.u["neighbour"], name="Elsewhere", created_at=old)
    db_session.flush()
    listed = api(place.u["street_admin"]).get("/api/v1/tenants/street/groups").json["items"]
    assert {g["name"]: g["inactive"] for g in listed} == {"Quiet": True, "Busy": False}
    flagged = api(place.u["street_admin"]).get("/api/v1/tenants/street/groups?inactive=1").json["items"]
    assert [g["id"] for g in flagged] == [quiet.id]
    assert api(place.u["worker"]).get("/api/v1/tenants/street/groups").status_code == 404
    r = api(place.u["street_admin"]).post(f"/api/v1/groups/{quiet.id}/archive", json={"reason": ""})
    assert r.status_code == 422 and "reason" in r.json["errors"]
    r = api(place.u["street_admin"]).post(f"/api/v1/groups/{quiet.id}/archive", json={"reason": "Asleep"})
    assert r.status_code == 200 and r.json["status"] == "archived"
    note = db_session.scalar(sa.select(Notification).where(Notification.user_id == place.u["community_worker"].id,
                                                          Notification.kind == "group.archived"))
    assert note.body == "Asleep"
    assert api(place.u["street_admin"]).post(f"/api/v1/groups/{quiet.id}/archive",
                                             json={"reason": "Again"}).status_code == 409
    assert api(place.u["worker2"]).post(f"/api/v1/groups/{quiet.id}/members", json={}).status_code in (404, 409)


# --- bounded queries ---------------------------------------------------------------------------------

def test_the_lists_do_a_bounded_number_of_queries(api, place, make_group, queries_of, db_session):
    def grow(n, start):
        for i in range(start, start + n):
            g = make_group(place.t["street"], place.u["street_admin"], name=f"G{i}", kind="institutional")
            db_session.add(GroupMember(group_id=g.id, user_id=place.u["worker"].id, root_id=g.root_id,
                                       status="active", role="member"))
        db_session.flush()

    worker, admin = api(place.u["worker"]), api(place.u["street_admin"])
    grow(2, 0)
    few = queries_of(lambda: worker.get("/api/v1/groups"), lambda: worker.get("/api/v1/groups?joined=1"),
                     lambda: admin.get("/api/v1/tenants/street/groups"))
    grow(12, 2)
    many = queries_of(lambda: worker.get("/api/v1/groups"), lambda: worker.get("/api/v1/groups?joined=1"),
                      lambda: admin.get("/api/v1/tenants/street/groups"))
    assert few == many
    assert len(worker.get("/api/v1/groups").json["items"]) == 14


def test_a_partner_organisations_staff_start_an_institutional_group(api, make_tree, make_user, grant):
    t = make_tree("pfed/partner", kinds={"partner": "social_org"})
    staff = make_user("partner-staff")
    grant(staff, "partner_staff", t["partner"])
    r = api(staff).post("/api/v1/tenants/partner/groups", json={"name": "Legal aid circle", "scope": "subtree"})
    assert r.status_code == 201 and (r.json["kind"], r.json["status"]) == ("institutional", "active")
