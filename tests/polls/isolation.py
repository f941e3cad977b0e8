"""The polls endpoints in the isolation matrix, around a poll (or contest) of union a-s1 open to its subtree.

The world's members are given a real-name identity (``id_hash``) first: they are verified members, so the
members the scope reaches vote (201); callers with roles and no membership see the poll through poll.manage
and are refused a vote (403: not verified members).
"""
import io
from datetime import timedelta

from tests.isolation.world import Case, everyone, managed

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _verify_members(world, session):
    import sqlalchemy as sa

    from union_saas.members.models import Membership

    session.execute(sa.update(Membership).where(Membership.status == "active").values(
        id_hash=sa.func.printf("person-%d", Membership.user_id) if session.get_bind().dialect.name == "sqlite"
        else sa.cast(Membership.user_id, sa.String) + "-person"))


def _poll(world, session, *, kind="single", closed=False, jury=0, image=False):
    from union_saas.core import files
    from union_saas.core.db import utcnow
    from union_saas.polls.models import Poll, PollOption

    _verify_members(world, session)
    tenant = world.tenants["a-s1"]
    now = utcnow()
    poll = Poll(tenant_id=tenant.id, root_id=tenant.root_id, title="Shared poll", description="", kind=kind,
                max_choices=1, scope="subtree", status="published", results="live", jury_weight=jury,
                opens_at=now - timedelta(days=2), closes_at=now - timedelta(hours=1) if closed else now + timedelta(days=1))
    session.add(poll)
    session.flush()
    options = [PollOption(poll_id=poll.id, label=label, position=i) for i, label in enumerate(("A", "B"))]
    if image:
        options[0].image_id = files.save(session, PNG, filename="a.png", content_type="image/png").id
    session.add_all(options)
    session.flush()
    return {"poll_id": poll.id, "option_id": options[0].id}


def a_poll(world, session):
    return _poll(world, session)


def a_closed_poll(world, session):
    return _poll(world, session, closed=True)


def a_poll_with_an_image(world, session):
    return _poll(world, session, image=True)


def a_contest(world, session):
    return _poll(world, session, kind="contest", jury=30)


def a_contest_with_an_entry(world, session):
    """A contest with a pending entry (with a photo) of member_own."""
    from union_saas.core import files
    from union_saas.polls.models import PollEntry

    extra = _poll(world, session, kind="contest", jury=30)
    entry = PollEntry(poll_id=extra["poll_id"], tenant_id=world.tenants["a-s1"].id,
                      submitted_by_id=world.users["member_own"].id, label="Dumplings", detail="", status="pending",
                      photo_id=files.save(session, PNG, filename="d.png", content_type="image/png").id)
    session.add(entry)
    session.flush()
    return {**extra, "entry_id": entry.id}


def image():
    return {"file": (io.BytesIO(PNG), "image.png")}


def new_poll(world):
    from union_saas.core.db import utcnow

    return {"title": "Which date?", "options": [{"label": "Sat"}, {"label": "Sun"}],
            "closes_at": (utcnow() + timedelta(days=2)).isoformat()}


def new_poll_form(world):
    return {"title": "Which date?", "kind": "single", "options": "Sat\nSun", "max_choices": "1", "scope": "tenant",
            "results": "live", "opens_at": "2030-01-01T10:00", "closes_at": "2030-01-03T10:00", "jury_weight": "0"}


def vote_body(world):
    return {"choices": [world.extra["option_id"]]}


P = "/api/v1/polls/{poll_id}"
E = "/api/v1/poll-entries/{entry_id}"
M = "/manage/polls/{poll_id}"
ADMIN_ONLY = managed(200, officer=403)  # poll.manage: the union officer manages a-s1 without it

CASES = [
    Case("polls_api.create_poll", "POST", "/api/v1/tenants/{own}/polls", managed(201, officer=403), body=new_poll),
    Case("polls_api.list_managed", "GET", "/api/v1/tenants/{own}/polls", ADMIN_ONLY, setup=a_poll),
    Case("polls_api.list_polls", "GET", "/api/v1/polls", everyone(200), setup=a_poll),
    Case("polls_api.get_poll", "GET", P, managed(200, officer=404), setup=a_poll, audience="subtree"),
    Case("polls_api.vote", "POST", P + "/votes", managed(403, officer=404), setup=a_poll, body=vote_body,
         audience="subtree", member_ok=201),
    Case("polls_api.results", "GET", P + "/results", managed(200, officer=404), setup=a_poll, audience="subtree"),
    Case("polls_api.receipts", "GET", P + "/receipts", managed(200, officer=404), setup=a_closed_poll,
         audience="subtree"),
    Case("polls_api.submit_entry", "POST", P + "/entries", managed(403, officer=404), setup=a_contest,
         body={"label": "Noodles"}, audience="subtree", member_ok=201),
    Case("polls_api.list_entries", "GET", P + "/entries", ADMIN_ONLY, setup=a_contest_with_an_entry),
    # Its author changes an entry's photo; the organisers see it (403), nobody else does.
    Case("polls_api.entry_photo", "POST", E + "/photo", managed(403, officer=404), setup=a_contest_with_an_entry,
         files=image, members={"member_own": 200}),
    Case("polls_api.approve_entry", "POST", E + "/approve", ADMIN_ONLY, setup=a_contest_with_an_entry),
    Case("polls_api.reject_entry", "POST", E + "/reject", ADMIN_ONLY, setup=a_contest_with_an_entry,
         body={"reason": "Twice"}),
    Case("polls_api.set_jury", "PUT", P + "/jury", ADMIN_ONLY, setup=a_contest,
         body=lambda w: {"scores": [{"option": w.extra["option_id"], "score": 70}]}),
    Case("polls_api.option_image", "POST", "/api/v1/poll-options/{option_id}/image", ADMIN_ONLY, setup=a_poll,
         files=image),
    Case("polls_api.bursts", "GET", P + "/bursts", ADMIN_ONLY, setup=a_poll),
    Case("polls_api.annul", "POST", P + "/annul", ADMIN_ONLY, setup=a_poll, body={"reason": "Irregular"}),
    Case("polls_api.export", "POST", P + "/export", managed(202, officer=403), setup=a_poll),
    Case("polls_api.my_votes", "GET", "/api/v1/me/votes", everyone(200)),
    # the member's pages
    Case("polls.feed", "GET", "/polls", everyone(200), page=True, setup=a_poll),
    Case("polls.detail", "GET", "/polls/{poll_id}", managed(200, officer=404), page=True, setup=a_poll,
         audience="subtree"),
    Case("polls.vote", "POST", "/polls/{poll_id}/vote", managed(403, officer=404), page=True, setup=a_poll,
         body=lambda w: {"choices": str(w.extra["option_id"])}, audience="subtree", member_ok=200),
    Case("polls.results", "GET", "/polls/{poll_id}/results", managed(200, officer=404), page=True, setup=a_poll,
         audience="subtree"),
    Case("polls.receipts", "GET", "/polls/{poll_id}/receipts", managed(200, officer=404), page=True,
         setup=a_closed_poll, audience="subtree"),
    Case("polls.submit_entry", "GET", "/polls/{poll_id}/entries/new", managed(200, officer=404), page=True,
         setup=a_contest, audience="subtree"),
    Case("polls.submit_entry", "POST", "/polls/{poll_id}/entries/new", managed(403, officer=404), page=True,
         setup=a_contest, body={"label": "Noodles"}, audience="subtree", member_ok=302),
    Case("polls.entry_photo", "GET", "/poll-entries/{entry_id}/photo", managed(200, officer=404), page=True,
         setup=a_contest_with_an_entry, members={"member_own": 200}),
    Case("polls.option_image", "GET", "/poll-options/{option_id}/image", managed(200, officer=404), page=True,
         setup=a_poll_with_an_image, audience="subtree"),
    Case("polls.my_votes", "GET", "/me/votes", everyone(200), page=True),
    # the organisers' pages
    Case("polls.manage_list", "GET", "/manage/{own}/polls", ADMIN_ONLY, page=True, setup=a_poll),
    Case("polls.create", "GET", "/manage/{own}/polls/new", ADMIN_ONLY, page=True),
    Case("polls.create", "POST", "/manage/{own}/polls/new", managed(302, officer=403), page=True, body=new_poll_form),
    Case("polls.manage_detail", "GET", M, ADMIN_ONLY, page=True, setup=a_contest_with_an_entry),
    Case("polls.pending_entries", "GET", "/manage/{own}/poll-entries", ADMIN_ONLY, page=True,
         setup=a_contest_with_an_entry),
    Case("polls.approve_entry", "POST", "/manage/poll-entries/{entry_id}/approve", managed(302, officer=403),
         page=True, setup=a_contest_with_an_entry),
    Case("polls.reject_entry", "POST", "/manage/poll-entries/{entry_id}/reject", managed(302, officer=403),
         page=True, setup=a_contest_with_an_entry, body={"reason": "Twice"}),
    Case("polls.jury", "POST", M + "/jury", managed(302, officer=403), page=True, setup=a_contest,
         body=lambda w: {f"score-{w.extra['option_id']}": "70"}),
    Case("polls.annul", "POST", M + "/annul", managed(302, officer=403), page=True, setup=a_poll,
         body={"reason": "Irregular"}),
    Case("polls.export", "POST", M + "/export", managed(302, officer=403), page=True, setup=a_poll),
    Case("polls.upload_option_image", "POST", "/manage/poll-options/{option_id}/image", managed(302, officer=403),
         page=True, setup=a_poll, files=image),
]

CASES.append(Case("polls.replace_entry_photo", "POST", "/poll-entries/{entry_id}/photo", managed(403, officer=404),
                  page=True, setup=a_contest_with_an_entry, files=image, members={"member_own": 302}))
