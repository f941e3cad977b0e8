"""The demo district and its accounts, for ``make run`` on a new machine."""
import importlib.resources

import sqlalchemy as sa
import yaml

from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.accounts.services import register
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.models import Tenant

DEMO_FILE = importlib.resources.files("union_saas.tenants") / "demo-district.yaml"
DEMO_PASSWORD = "union-demo-2026"
# username, display name, role, tenant slug (None: no role); the first is the platform operator.
DEMO_ACCOUNTS = [
    ("operator", "平台运营", None, None),
    ("district-admin", "区总工会管理员", "federation_admin", "jinjiang"),
    ("street-admin", "春熙路街道管理员", "union_admin", "chunxi-street"),
    ("community-admin", "商业场社区管理员", "union_admin", "chunxi-shangye-community"),
    ("worker", "张小工", None, None),
]


def ensure_demo(session, app):
    """Load the demo district unless the platform already has a tenant; return lines to print."""
    if session.scalar(sa.select(sa.func.count()).select_from(Tenant)):
        return ["The database already has tenants: demo data left alone."]
    tenancy.import_tree(session, None, yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8")))
    lines = [("Demo district loaded from tenants/demo-district.yaml. Demo accounts (password "
             f"{DEMO_PASSWORD}):")]
    for index, (username, name, role, slug) in enumerate(DEMO_ACCOUNTS):
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = register(session, username=username, password=DEMO_PASSWORD, display_name=name,
                            hash_method=app.config["PASSWORD_HASH_METHOD"])
        user.is_operator = index == 0
        where = ""
        if role:
            tenant = tenancy.get_by_slug(session, slug)
            session.add(Grant(user_id=user.id, role=role, tenant_id=tenant.id, root_id=tenant.root_id,
                              granted_at_id=tenant.root_id))  # appointed from the federation
            where = f" {role} at /manage/{slug}"
        lines.append(f"  {username:<16}{' platform operator, /admin/federations' if index == 0 else where or ' a plain user, following the district'}")
    session.flush()
    lines.append(demo_activities(session))
    return lines


# (organiser, tenant, title, category, scope, days from now, hours long, capacity, place, description)
DEMO_ACTIVITIES = [
    ("district-admin", "jinjiang", "新春职工诗歌朗诵会", "culture", "platform", 10, 2, 200, "锦江区工人文化宫大剧场",
     "迎新春、颂时代。全区职工均可报名，**现场提供茶点**，演出结束后合影留念。"),
    ("district-admin", "jinjiang", "职工心理健康线上讲座", "online", "platform", 4, 1, None, "线上直播",
     "由区总工会邀请心理咨询师讲解职场减压方法，不限名额。"),
    ("street-admin", "chunxi-street", "春熙路街道职工羽毛球赛", "sports", "subtree", 14, 4, 32, "春熙路街道文体中心",
     "单打比赛，限本街道及下属工会会员报名，名额满后自动候补。"),
    ("community-admin", "chunxi-shangye-community", "周末亲子手工课", "entertainment", "tenant", 6, 2, 20,
     "商业场社区职工之家", "带上孩子一起做灯笼，材料由社区工会提供。"),
]


def demo_activities(session):
    """A few upcoming activities across the levels, so that the first pages have something to show."""
    from datetime import timedelta

    from union_saas.access import engine
    from union_saas.activities import services as activities
    from union_saas.core.db import utcnow
    from union_saas.members.models import Follow

    engine.forget()
    # The plain demo user follows the district, so the federation-wide activities show on their pages.
    worker, district = session.scalar(sa.select(User).where(User.username == "worker")), tenancy.get_by_slug(session, "jinjiang")
    session.add(Follow(user_id=worker.id, tenant_id=district.id, root_id=district.id))
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for username, slug, title, category, scope, days, hours, capacity, place, text in DEMO_ACTIVITIES:
        starts = now + timedelta(days=days, hours=2)
        activities.create_activity(
            session, session.scalar(sa.select(User).where(User.username == username)),
            tenancy.get_by_slug(session, slug),
            {"title": title, "category": category, "scope": scope, "starts_at": starts,
             "ends_at": starts + timedelta(hours=hours), "signup_opens_at": now - timedelta(hours=1),
             "signup_closes_at": starts - timedelta(hours=1), "capacity": capacity, "location": place,
             "description": text, "members_only": False})
    return f"  and {len(DEMO_ACTIVITIES)} upcoming activities at the district, a street and a community."
