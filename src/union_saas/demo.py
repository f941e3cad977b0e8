"""The demo district and its accounts, for ``make run`` on a new machine."""
import sqlalchemy as sa
import yaml

from union_saas import REPO
from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.accounts.services import register
from union_saas.tenancy import services as tenancy
from union_saas.tenancy.models import Tenant

DEMO_FILE = REPO / "tenants" / "demo-district.yaml"
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
            session.add(Grant(user_id=user.id, role=role, tenant_id=tenant.id, root_id=tenant.root_id))
            where = f" {role} at /manage/{slug}"
        lines.append(f"  {username:<16}{' platform operator, /admin/federations' if index == 0 else where or ' a plain user'}")
    session.flush()
    return lines
