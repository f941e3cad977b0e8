"""The services and "我的" entries of what exists today (membership, activities, the inbox, the account, the
card); the modules that land later register their own (``tenancy.sections.service`` / ``me_entry``)."""
import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from union_saas.activities.models import Activity, SignUp
from union_saas.activities.services import utcnow
from union_saas.core.views import unread_notifications
from union_saas.extensions import db
from union_saas.members.audience import viewer
from union_saas.portal import services
from union_saas.tenancy import sections


def signed(user):
    return getattr(user, "is_authenticated", False)


def when_signed(endpoint, **values):
    """The page for a signed-in person; anyone else is asked to sign in first (and told why)."""
    def url(user):
        return url_for(endpoint, **values) if signed(user) else url_for("accounts.login", next=url_for(endpoint, **values))
    return url


def membership_url(user):
    if not signed(user):
        return url_for("members.find")
    home = viewer(db.session, user).home
    return url_for("members.me", slug=home.slug) if home is not None else url_for("members.find")


def upcoming_signups(user) -> int:
    """My live sign-ups of activities still to come (one query)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(SignUp).join(Activity, Activity.id == SignUp.activity_id)
                             .where(SignUp.user_id == user.id, SignUp.status.in_(("confirmed", "waitlisted")),
                                    Activity.ends_at >= utcnow()))


def verify_url(user):
    return url_for("portal.verify") if signed(user) and services.verifies_somewhere(user) else None


# The services grid of the home and of the 服务 tab.
sections.service("activities", 10, _l("Activities"), lambda user: url_for("portal.activities_tab"), icon="calendar")
sections.service("card", 20, _l("Member card"), when_signed("portal.card_page"), icon="card")
sections.service("signups", 30, _l("My sign-ups"), when_signed("portal.my_activities"), icon="ticket")
sections.service("membership", 40, _l("Join or transfer"), membership_url, icon="join")
sections.service("unions", 50, _l("Find a union"), lambda user: url_for("tenancy.home"), icon="search")
sections.service("inbox", 60, _l("Messages"), when_signed("core.notifications"), icon="bell")
sections.service("account", 70, _l("Account"), when_signed("accounts.account"), icon="user")
sections.service("verify", 80, _l("Check a member card"), verify_url, icon="scan")

# The entries of "我的".
sections.me_entry("membership", 10, _l("My membership"), membership_url, icon="join")
sections.me_entry("card", 20, _l("Member card"), lambda user: url_for("portal.card_page"), icon="card")
sections.me_entry("signups", 30, _l("My sign-ups and tickets"), lambda user: url_for("portal.my_activities"),
                  count=upcoming_signups, icon="ticket")
sections.me_entry("inbox", 40, _l("My messages"), lambda user: url_for("core.notifications"),
                  count=lambda user: unread_notifications(), icon="bell")
sections.me_entry("account", 90, _l("Account and security"), lambda user: url_for("accounts.account"), icon="user")
