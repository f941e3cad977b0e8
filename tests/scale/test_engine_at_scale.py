"""``Subject.can()`` slices ancestor paths by segment width: it must answer exactly as the definition
(a grant at any ancestor-or-self path holding the permission) over a whole generated tree."""
import sqlalchemy as sa

from tests.conftest import _password_hash
from union_saas.access.engine import load_subject, policy
from union_saas.accounts.models import User
from union_saas.demo_seed import SCALES, seed
from union_saas.tenancy.models import Tenant, ancestor_paths


def test_can_agrees_with_the_definition_on_every_tenant(app, db_session):
    ctx = seed(db_session, SCALES["small"], slug="enginetest", password_hash=_password_hash())
    paths = db_session.scalars(sa.select(Tenant.path)).all()
    holders = {user_id for pairs in ctx.admins.values() for user_id, _t in pairs}
    plain = ctx.user_ids[-3:]
    permissions = sorted(policy_of(app).permissions)
    checked = allowed = 0
    with app.test_request_context():
        for user in db_session.scalars(sa.select(User).where(User.id.in_(holders | set(plain)))):
            subject = load_subject(db_session, user)
            by_path = {}
            for grant in subject.grants:
                by_path.setdefault(grant.tenant_path, set()).update(policy().role(grant.role).permissions)
            for path in paths:
                for permission in permissions[::3]:
                    expected = any(permission in by_path.get(p, ()) for p in ancestor_paths(path))
                    assert subject.can(permission, path) == expected, (user.username, path, permission)
                    checked += 1
                    allowed += expected
    assert checked > 10_000 and 0 < allowed < checked


def policy_of(app):
    return app.extensions["union_saas.policy"]
