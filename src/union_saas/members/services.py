"""Rules of membership."""
import sqlalchemy as sa

from union_saas.members.models import Follow, Membership
from union_saas.tenancy.models import Tenant


def home_of(session, user):
    """The tenant of ``user``'s active membership, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(sa.select(Tenant).join(Membership, Membership.tenant_id == Tenant.id)
                          .where(Membership.user_id == user.id, Membership.status == "active"))


def followed_root_ids(session, user) -> list[int]:
    """The federations of the tenants ``user`` follows."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(session.scalars(sa.select(Follow.root_id).where(Follow.user_id == user.id).distinct()))
