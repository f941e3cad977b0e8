"""Interest groups and the awards in the browser, in Chinese and in English, at 375 px and 1280 px: a worker
finds, starts and joins groups; an organiser invites and publishes; the street oversees; the awards' pages."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.e2e.test_foundation_pages import LANGS, expect, open_site, sign_in, submit
from union_saas.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def groups_world(e2e_app):
    """The demo worker becomes a member of a community; groups, activities and an award round around them."""
    from union_saas.accounts.models import User
    from union_saas.activities.models import SignUp
    from union_saas.core.db import utcnow
    from union_saas.groups import services
    from union_saas.groups.models import (
        AwardJuror,
        AwardRound,
        Group,
        Score,
    )
    from union_saas.members.models import Membership
    from union_saas.tenancy import services as tenancy

    with e2e_app.app_context():
        s = db.session
        if s.scalar(sa.select(Group.id).where(Group.name == "春熙路徒步队")):
            return {"group": s.scalar(sa.select(Group.id).where(Group.name == "春熙路徒步队")),
                    "round": s.scalar(sa.select(AwardRound.id))}
        user = {u.username: u for u in s.scalars(sa.select(User))}
        street, community = tenancy.get_by_slug(s, "chunxi-street"), tenancy.get_by_slug(s, "chunxi-shangye-community")
        s.add(Membership(user_id=user["worker"].id, tenant_id=community.id, root_id=community.root_id,
                         status="active"))
        s.flush()
        services.engine.forget()
        admin = user["street-admin"]
        hike = services.create_group(s, admin, street, {"name": "春熙路徒步队", "description": "每周六早上，一起走遍锦江的山水。",
                                                        "category": "sports", "join_policy": "open", "scope": "subtree"})
        services.create_group(s, admin, street, {"name": "职工合唱团", "description": "周三晚排练。", "category": "arts",
                                                 "join_policy": "approval", "scope": "platform"})
        proposed = services.create_group(s, user["worker"], community, {
            "name": "读书会", "description": "每月一本书。", "category": "learning", "join_policy": "invite",
            "scope": "tenant"})
        now = utcnow().replace(microsecond=0)
        for days, title in ((3, "龙泉山徒步"), (-20, "望江楼夜走")):
            starts = now + timedelta(days=days)
            activity = services.create_activity(s, admin, hike, {
                "title": title, "starts_at": starts, "ends_at": starts + timedelta(hours=4), "capacity": 30,
                "members_only": False, "category": "sports", "location": "春熙路地铁站 C 口"})
            if days < 0:
                s.add(SignUp(activity_id=activity.id, user_id=user["worker"].id, root_id=activity.root_id,
                             status="confirmed", checked_in_at=starts))
                activity.confirmed_count = 1
        s.flush()
        services.join(s, user["worker"], hike)
        rnd = services.create_round(s, admin, street, {
            "title": f"{now.year} 年度优秀兴趣小组", "year": now.year, "nominations_close": now + timedelta(days=3),
            "judging_close": now + timedelta(days=6),
            "categories": [{"name": "优秀会员小组", "kind": "individual", "places": 20},
                           {"name": "优秀机构小组", "kind": "institutional", "places": 20}]})
        nomination = services.nominate(s, admin, rnd, {"group": hike.id, "category": rnd.categories[1].id,
                                                       "statement": "一年徒步二十次，带动了三个社区的职工。"})
        s.add(AwardJuror(round_id=rnd.id, user_id=user["community-admin"].id))
        rnd.nominations_close, rnd.judging_close = now - timedelta(days=1), now + timedelta(days=3)
        s.flush()
        s.add(Score(nomination_id=nomination.id, juror_id=user["community-admin"].id, score=92, comment="很活跃"))
        past = services.create_round(s, admin, street, {
            "title": f"{now.year - 1} 年度优秀兴趣小组", "year": now.year - 1, "nominations_close": now + timedelta(days=1),
            "judging_close": now + timedelta(days=2),
            "categories": [{"name": "优秀机构小组", "kind": "institutional", "places": 1}]})
        services.nominate(s, admin, past, {"group": hike.id, "category": past.categories[0].id, "statement": "坚持。"})
        past.nominations_close, past.judging_close = now - timedelta(days=9), now - timedelta(days=2)
        s.flush()
        services.publish(s, admin, past)
        s.commit()
        return {"group": hike.id, "round": rnd.id, "past": past.id, "proposed": proposed.id}


@pytest.mark.parametrize("lang", LANGS)
def test_a_worker_finds_joins_and_starts_groups(lang, new_page, shoot, groups_world):
    page = open_site(new_page, lang)
    sign_in(page, "worker", "张小工")
    page.goto("/groups")
    expect(page.locator("main")).to_contain_text("春熙路徒步队")
    shoot(page, f"groups-{lang}-01-browse")
    page.goto(f"/groups/{groups_world['group']}")
    expect(page.locator(".numbers")).to_be_visible()
    shoot(page, f"groups-{lang}-02-detail")
    page.goto("/me/groups")
    shoot(page, f"groups-{lang}-03-mine")
    page.goto("/t/chunxi-shangye-community/groups/new")
    form = page.locator("main form")
    form.locator("[name=name]").fill("读书会")
    assert submit(page, form) == 409
    shoot(page, f"groups-{lang}-04-new-taken")
    page.goto(f"/groups/{groups_world['proposed']}/members")
    shoot(page, f"groups-{lang}-05-members")


@pytest.mark.parametrize("lang", LANGS)
def test_an_organiser_and_the_street_at_work(lang, new_page, shoot, groups_world):
    page = open_site(new_page, lang)
    sign_in(page, "street-admin", "春熙路街道管理员")
    page.goto(f"/groups/{groups_world['group']}/members")
    form = page.locator("form[action$='/share']")
    assert submit(page, form) == 200
    expect(page.locator(".qr svg")).to_be_visible()
    shoot(page, f"groups-{lang}-06-share-link")
    page.goto(f"/groups/{groups_world['group']}/activities/new")
    form = page.locator("main form")
    form.locator("[name=title]").fill("青城山徒步")
    assert submit(page, form) == 422
    shoot(page, f"groups-{lang}-07-activity-form")
    page.goto("/manage/chunxi-street/groups")
    shoot(page, f"groups-{lang}-08-oversight")
    page.goto(f"/manage/groups/{groups_world['group']}/archive")
    shoot(page, f"groups-{lang}-09-archive")
    page.goto("/manage/chunxi-street/award-rounds")
    shoot(page, f"groups-{lang}-10-rounds")
    page.goto("/manage/chunxi-street/award-rounds/new")
    shoot(page, f"groups-{lang}-11-new-round")
    page.goto(f"/award-rounds/{groups_world['round']}")
    shoot(page, f"groups-{lang}-12-round")
    page.goto(f"/award-rounds/{groups_world['past']}/results")
    expect(page.locator("main")).to_contain_text("春熙路徒步队")
    shoot(page, f"groups-{lang}-13-results")


@pytest.mark.parametrize("lang", LANGS)
def test_a_juror_scores(lang, new_page, shoot, groups_world):
    page = open_site(new_page, lang)
    sign_in(page, "community-admin", "商业场社区管理员")
    page.goto(f"/award-rounds/{groups_world['round']}")
    form = page.locator("form.score-form").first
    form.locator("[name=score]").fill("120")
    assert submit(page, form) == 422
    shoot(page, f"groups-{lang}-14-score-error")
