"""The groups and awards endpoints in the isolation matrix, around a group and an award round of union a-s1.

The group reaches a-s1's subtree; the callers with roles hold no membership: they see it through group.manage
at a-s1 or above (union officers hold no group.manage). Its organisers are its founder (no caller) and whoever
holds group.manage at a-s1; the member list and every organiser's action answer its other viewers 404.
"""
import io
from datetime import timedelta

from tests.isolation.world import Case, everyone, managed, members

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _user(session, username):
    from tests.conftest import _password_hash
    from union_saas.accounts.models import User

    user = User(username=username, display_name=username.title(), password_hash=_password_hash())
    session.add(user)
    session.flush()
    return user


def _group(world, session, **fields):
    from union_saas.core.db import utcnow
    from union_saas.groups.models import Group, GroupMember

    tenant = world.tenants["a-s1"]
    founder = _user(session, "group-founder")
    fields = {"scope": "subtree", "status": "active", "join_policy": "open", "kind": "institutional", **fields}
    group = Group(tenant_id=tenant.id, root_id=tenant.root_id, name="Walkers", name_key="walkers",
                  founder_id=founder.id, members_count=1, description="", **fields)
    session.add(group)
    session.flush()
    session.add(GroupMember(group_id=group.id, user_id=founder.id, root_id=tenant.root_id, status="active",
                            role="organiser", joined_at=utcnow()))
    session.flush()
    return group


def _rows(session, group, users, status="active"):
    from union_saas.groups.models import GroupMember

    session.add_all([GroupMember(group_id=group.id, user_id=u.id, root_id=group.root_id, status=status,
                                 role="member") for u in users])
    group.members_count += len(users)
    session.flush()


def a_group(world, session):
    return {"group_id": _group(world, session).id}


def a_pending_group(world, session):
    return {"group_id": _group(world, session, status="pending", kind="individual").id}


def a_reach_request(world, session):
    return {"group_id": _group(world, session, scope="platform", reach="pending").id}


def a_group_with_a_request(world, session):
    group = _group(world, session, join_policy="approval")
    _rows(session, group, [_user(session, "asker")], status="pending")
    _rows(session, group, [_user(session, "mate")])
    return {"group_id": group.id}


def a_group_of_everyone(world, session):
    group = _group(world, session)
    _rows(session, group, list(world.users.values()))
    return {"group_id": group.id}


def a_group_with_a_cover(world, session):
    from union_saas.core import files

    group = _group(world, session)
    group.cover_id = files.save(session, PNG, filename="c.png", content_type="image/png").id
    session.flush()
    return {"group_id": group.id}


def a_share_link(world, session):
    from union_saas.groups import services
    from union_saas.groups.models import GroupInvite

    group = _group(world, session, join_policy="invite")
    session.add(GroupInvite(group_id=group.id, token_hash=services.token_hash("share-code"),
                            created_by_id=group.founder_id))
    session.flush()
    return {"group_id": group.id, "code": "share-code"}


def _round(world, session, phase="nominating", jurors=()):
    from union_saas.core.db import utcnow
    from union_saas.groups.models import AwardCategory, AwardJuror, AwardRound

    tenant = world.tenants["a-s1"]
    now = utcnow()
    closes = {"nominating": (now + timedelta(days=5), now + timedelta(days=10)),
              "judging": (now - timedelta(days=1), now + timedelta(days=5)),
              "judged": (now - timedelta(days=5), now - timedelta(days=1))}[phase if phase != "published" else "judged"]
    rnd = AwardRound(tenant_id=tenant.id, root_id=tenant.root_id, title="Best of", year=now.year, scope="subtree",
                     status="published" if phase == "published" else "open", nominations_close=closes[0],
                     judging_close=closes[1], published_at=now if phase == "published" else None)
    session.add(rnd)
    session.flush()
    category = AwardCategory(round_id=rnd.id, name="Institutional", kind="institutional", places=2)
    session.add(category)
    session.add_all([AwardJuror(round_id=rnd.id, user_id=u.id) for u in jurors])
    session.flush()
    return rnd, category


def _nominated(world, session, rnd, category):
    from union_saas.groups.models import Nomination

    group = _group(world, session)
    nomination = Nomination(round_id=rnd.id, category_id=category.id, group_id=group.id, statement="S",
                            nominated_by_id=group.founder_id)
    session.add(nomination)
    session.flush()
    return group, nomination


def a_round(world, session):
    rnd, category = _round(world, session)
    group = _group(world, session)
    _user(session, "new-juror")
    return {"round_id": rnd.id, "category_id": category.id, "group_id": group.id}


def a_round_in_judging(world, session):
    rnd, category = _round(world, session, "judging", jurors=list(world.users.values()))
    nomination = _nominated(world, session, rnd, category)[1]
    return {"round_id": rnd.id, "nomination_id": nomination.id}


def a_judged_round(world, session):
    rnd, category = _round(world, session, "judged")
    _nominated(world, session, rnd, category)
    return {"round_id": rnd.id}


def a_published_round(world, session):
    rnd, category = _round(world, session, "published")
    _nominated(world, session, rnd, category)
    return {"round_id": rnd.id}


def cover():
    return {"file": (io.BytesIO(PNG), "cover.png")}


def activity(world):
    from union_saas.core.db import utcnow

    starts = utcnow() + timedelta(days=3)
    return {"title": "Hike", "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()}


def activity_form(world):
    from union_saas.core.db import utcnow

    starts = utcnow() + timedelta(days=3)
    return {"title": "Hike", "category": "sports", "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}


def round_json(world):
    from union_saas.core.db import utcnow

    now = utcnow()
    return {"title": "Best of", "year": now.year, "nominations_close": (now + timedelta(days=5)).isoformat(),
            "judging_close": (now + timedelta(days=9)).isoformat(),
            "categories": [{"name": "Members", "kind": "individual", "places": 2}]}


def round_form(world):
    from union_saas.core.db import utcnow

    now = utcnow()
    return {"title": "Best of", "year": str(now.year),
            "nominations_close": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "judging_close": (now + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
            "category_0_name": "Members", "category_0_kind": "individual", "category_0_places": "2"}


def nomination(world):
    return {"group": int(world.extra["group_id"]), "category": int(world.extra["category_id"]), "statement": "Good"}


G = "/api/v1/groups/{group_id}"
P = "/groups/{group_id}"
M = "/manage/groups/{group_id}"
R = "/api/v1/award-rounds/{round_id}"
RP = "/award-rounds/{round_id}"
# seen by its audience and by group.manage at a-s1 or above; union officers hold no group.manage
SEEN = {"officer": 404}
ORGANISERS = members(404)  # the group's other viewers are no organisers of it
START = members(403, member_own=201, member_child=201)  # verified members at a-s1 or below propose a group

CASES = [
    # groups: start, find, review
    Case("groups_api.create_group", "POST", "/api/v1/tenants/{own}/groups",
         {**everyone(403), "own_admin": 201, "parent_admin": 201}, body={"name": "Choir"}, members=START),
    Case("groups_api.oversight", "GET", "/api/v1/tenants/{own}/groups", managed(200, officer=403), setup=a_group),
    Case("groups_api.reach_requests", "GET", "/api/v1/tenants/{parent}/group-reach-requests",
         {**managed(404), "parent_admin": 200}, setup=a_reach_request),
    Case("groups_api.list_groups", "GET", "/api/v1/groups", everyone(200), setup=a_group),
    Case("groups_api.get_group", "GET", G, managed(200, **SEEN), setup=a_group, audience="subtree"),
    Case("groups_api.patch_group", "PATCH", G, managed(200, **SEEN), setup=a_group, body={"name": "Renamed"},
         audience="subtree", members=ORGANISERS),
    Case("groups_api.upload_cover", "POST", G + "/cover", managed(200, **SEEN), setup=a_group, files=cover,
         audience="subtree", members=ORGANISERS),
    Case("groups_api.approve", "POST", G + "/approve", managed(200, officer=403), setup=a_pending_group, body={}),
    Case("groups_api.reject", "POST", G + "/reject", managed(200, officer=403), setup=a_pending_group,
         body={"reason": "No"}),
    Case("groups_api.approve_reach", "POST", G + "/reach/approve", {**managed(403, officer=404), "parent_admin": 200},
         setup=a_reach_request, body={}, audience="subtree", member_ok=404),
    Case("groups_api.reject_reach", "POST", G + "/reach/reject", {**managed(403, officer=404), "parent_admin": 200},
         setup=a_reach_request, body={}, audience="subtree", member_ok=404),
    Case("groups_api.archive", "POST", G + "/archive", managed(200, officer=403), setup=a_group,
         body={"reason": "Asleep"}),
    # members
    Case("groups_api.join", "POST", G + "/members", managed(201, **SEEN), setup=a_group, body={}, audience="subtree"),
    Case("groups_api.join", "POST", G + "/members", managed(201, **SEEN), setup=a_share_link,
         body=lambda w: {"code": w.extra["code"]}, audience="subtree", id="share link"),
    Case("groups_api.list_members", "GET", G + "/members", managed(200, **SEEN), setup=a_group, audience="subtree",
         members=ORGANISERS),
    Case("groups_api.approve_member", "POST", G + "/members/asker/approve", managed(200, **SEEN),
         setup=a_group_with_a_request, audience="subtree", members=ORGANISERS),
    Case("groups_api.set_role", "POST", G + "/members/mate/role", managed(200, **SEEN), setup=a_group_with_a_request,
         body={"role": "organiser"}, audience="subtree", members=ORGANISERS),
    Case("groups_api.remove_member", "DELETE", G + "/members/mate", managed(204, **SEEN),
         setup=a_group_with_a_request, audience="subtree", members=ORGANISERS),
    Case("groups_api.leave", "DELETE", G + "/members/me", everyone(204), setup=a_group_of_everyone,
         members=members(204)),
    Case("groups_api.invite", "POST", G + "/invitations", managed(201, **SEEN), setup=a_group_with_a_request,
         body={}, audience="subtree", members=ORGANISERS),
    Case("groups_api.create_activity", "POST", G + "/activities", managed(201, **SEEN), setup=a_group, body=activity,
         audience="subtree", members=ORGANISERS),
    Case("groups_api.list_activities", "GET", G + "/activities", managed(200, **SEEN), setup=a_group,
         audience="subtree"),
    # awards
    Case("groups_api.create_round", "POST", "/api/v1/tenants/{own}/award-rounds", managed(201, officer=403),
         body=round_json),
    Case("groups_api.list_rounds", "GET", "/api/v1/tenants/{own}/award-rounds", everyone(200), setup=a_round),
    Case("groups_api.get_round", "GET", R, managed(200, **SEEN), setup=a_round, audience="subtree"),
    Case("groups_api.add_juror", "POST", R + "/jurors", managed(201, officer=403), setup=a_round,
         body={"username": "new-juror"}),
    Case("groups_api.list_nominations", "GET", R + "/nominations", managed(200, **SEEN), setup=a_judged_round,
         audience="subtree"),
    Case("groups_api.nominate", "POST", R + "/nominations", managed(201, **SEEN), setup=a_round, body=nomination,
         audience="subtree", member_ok=403),
    # every caller is a juror of that round: a juror sees the round and scores
    Case("groups_api.score", "POST", "/api/v1/nominations/{nomination_id}/scores", everyone(201),
         setup=a_round_in_judging, body={"score": 70}, members=members(201)),
    Case("groups_api.publish", "POST", R + "/publish", managed(200, officer=403), setup=a_judged_round),
    Case("groups_api.results", "GET", R + "/results", managed(200, **SEEN), setup=a_published_round,
         audience="subtree"),
    Case("groups_api.results", "GET", R + "/results", managed(200, **SEEN), setup=a_judged_round,
         audience="subtree", member_ok=404, id="before publication"),
    Case("groups_api.export", "POST", R + "/export", managed(202, officer=403), setup=a_published_round),
    # the worker's pages
    Case("groups.browse", "GET", "/groups", everyone(200), page=True, setup=a_group),
    Case("groups.mine", "GET", "/me/groups", everyone(200), page=True, setup=a_group_of_everyone),
    Case("groups.create", "GET", "/t/{own}/groups/new", everyone(200), page=True),
    Case("groups.create", "POST", "/t/{own}/groups/new", {**everyone(403), "own_admin": 302, "parent_admin": 302},
         page=True, body={"name": "Choir", "category": "culture", "join_policy": "open", "scope": "tenant"},
         members=members(403, member_own=302, member_child=302)),
    Case("groups.detail", "GET", P, managed(200, **SEEN), page=True, setup=a_group, audience="subtree"),
    Case("groups.invitation", "GET", P + "/invitation/{code}", managed(200, **SEEN), page=True, setup=a_share_link,
         audience="subtree"),
    Case("groups.join", "POST", P + "/join", managed(302, **SEEN), page=True, setup=a_group, audience="subtree"),
    Case("groups.leave", "POST", P + "/leave", everyone(302), page=True, setup=a_group_of_everyone,
         members=members(302)),
    Case("groups.cover", "GET", P + "/cover", managed(200, **SEEN), page=True, setup=a_group_with_a_cover,
         audience="subtree"),
    Case("groups.edit", "GET", P + "/edit", managed(200, **SEEN), page=True, setup=a_group, audience="subtree",
         members=ORGANISERS),
    Case("groups.edit", "POST", P + "/edit", managed(302, **SEEN), page=True, setup=a_group, audience="subtree",
         body={"name": "Renamed", "category": "sports", "join_policy": "open", "scope": "subtree"},
         members=ORGANISERS),
    Case("groups.members", "GET", P + "/members", managed(200, **SEEN), page=True, setup=a_group_with_a_request,
         audience="subtree", members=ORGANISERS),
    Case("groups.approve_member", "POST", P + "/members/asker/approve", managed(302, **SEEN), page=True,
         setup=a_group_with_a_request, audience="subtree", members=ORGANISERS),
    Case("groups.remove_member", "POST", P + "/members/mate/remove", managed(302, **SEEN), page=True,
         setup=a_group_with_a_request, audience="subtree", members=ORGANISERS),
    Case("groups.set_role", "POST", P + "/members/mate/role", managed(302, **SEEN), page=True,
         setup=a_group_with_a_request, body={"role": "organiser"}, audience="subtree", members=ORGANISERS),
    Case("groups.invite", "POST", P + "/invite", managed(302, **SEEN), page=True, setup=a_group_with_a_request,
         body=lambda w: {"username": "group-invitee"} if _user_made(w) else {}, audience="subtree",
         members=ORGANISERS),
    Case("groups.share", "POST", P + "/share", managed(200, **SEEN), page=True, setup=a_group, audience="subtree",
         members=ORGANISERS),
    Case("groups.new_activity", "GET", P + "/activities/new", managed(200, **SEEN), page=True, setup=a_group,
         audience="subtree", members=ORGANISERS),
    Case("groups.new_activity", "POST", P + "/activities/new", managed(302, **SEEN), page=True, setup=a_group,
         body=activity_form, audience="subtree", members=ORGANISERS),
    # the union's pages
    Case("groups.oversight", "GET", "/manage/{own}/groups", managed(200, officer=403), page=True, setup=a_group),
    Case("groups.approve", "POST", M + "/approve", managed(302, officer=403), page=True, setup=a_pending_group),
    Case("groups.reject", "POST", M + "/reject", managed(302, officer=403), page=True, setup=a_pending_group,
         body={"reason": "No"}),
    Case("groups.archive", "GET", M + "/archive", managed(200, officer=403), page=True, setup=a_group),
    Case("groups.archive", "POST", M + "/archive", managed(302, officer=403), page=True, setup=a_group,
         body={"reason": "Asleep"}),
    Case("groups.group_reach", "GET", "/manage/{parent}/group-reach", {**managed(404), "parent_admin": 200},
         page=True, setup=a_reach_request),
    Case("groups.approve_reach", "POST", M + "/reach/approve", {**managed(403, officer=404), "parent_admin": 302},
         page=True, setup=a_reach_request, audience="subtree", member_ok=404),
    Case("groups.reject_reach", "POST", M + "/reach/reject", {**managed(403, officer=404), "parent_admin": 302},
         page=True, setup=a_reach_request, audience="subtree", member_ok=404),
    # awards' pages
    Case("groups.manage_rounds", "GET", "/manage/{own}/award-rounds", managed(200, officer=403), page=True,
         setup=a_round),
    Case("groups.new_round", "GET", "/manage/{own}/award-rounds/new", managed(200, officer=403), page=True),
    Case("groups.new_round", "POST", "/manage/{own}/award-rounds/new", managed(302, officer=403), page=True,
         body=round_form),
    Case("groups.rounds", "GET", "/t/{own}/award-rounds", everyone(200), page=True, setup=a_round),
    Case("groups.round_detail", "GET", RP, managed(200, **SEEN), page=True, setup=a_round, audience="subtree"),
    Case("groups.add_juror", "POST", RP + "/jurors", managed(302, officer=403), page=True, setup=a_round,
         body={"username": "new-juror"}),
    Case("groups.nominate", "POST", RP + "/nominate", managed(302, **SEEN), page=True, setup=a_round,
         body=nomination, audience="subtree", member_ok=403),
    Case("groups.score", "POST", "/nominations/{nomination_id}/score", everyone(302), page=True,
         setup=a_round_in_judging, body={"score": "70"}, members=members(302)),
    Case("groups.publish", "POST", RP + "/publish", managed(302, officer=403), page=True, setup=a_judged_round),
    Case("groups.results", "GET", RP + "/results", managed(200, **SEEN), page=True, setup=a_published_round,
         audience="subtree"),
    Case("groups.export", "POST", RP + "/export", managed(302, officer=403), page=True, setup=a_published_round),
]


def _user_made(world):
    """The invitee of the page case (made when its body is asked for, inside the case's savepoint)."""
    from union_saas.extensions import db

    _user(db.session, "group-invitee")
    return True
