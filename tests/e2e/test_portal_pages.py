"""A worker's own place in the browser: the welcome page, the home, 我的, the e-member card, and an officer
checking the card, in Chinese and English, at 375 px and 1280 px."""
import pytest
import sqlalchemy as sa

from tests.e2e.test_foundation_pages import HTML_LANG, LANGS, expect, sign_in, submit
from union_saas.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

COMMUNITY = "chunxi-shangye-community"


@pytest.fixture(scope="module")
def member(e2e_app):
    """A worker with an active membership of the demo community, and a message in their inbox."""
    from union_saas.accounts.services import register
    from union_saas.core import inbox
    from union_saas.extensions import db
    from union_saas.members.models import Membership
    from union_saas.tenancy.models import Tenant

    with e2e_app.app_context():
        user = register(db.session, username="portal-member", password=DEMO_PASSWORD, display_name="李会员",
                        hash_method=e2e_app.config["PASSWORD_HASH_METHOD"])
        tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == COMMUNITY))
        db.session.add(Membership(user_id=user.id, tenant_id=tenant.id, root_id=tenant.root_id, status="active",
                                  real_name="李小红"))
        kind = next(k for k, title in inbox.KINDS.items() if "%(union)s" in str(title))
        inbox.notify(db.session, [user.id], kind, params={"union": tenant.name})
        db.session.commit()
        db.session.remove()
    return "portal-member"


def open_in(new_page, lang, path="/"):
    page = new_page()
    page.goto(path)
    if lang == "en":
        page.locator(".langs a[lang=en]").click()
        page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])
    return page


@pytest.mark.parametrize("lang", LANGS)
def test_a_worker_finds_their_home_their_page_and_their_card(lang, member, new_page, shoot):
    page = open_in(new_page, lang)
    expect(page.locator("#open")).to_be_visible()
    expect(page.locator(".svc-grid a")).not_to_have_count(0)
    shoot(page, f"{lang}-portal-01-welcome")
    page.goto("/me")
    expect(page.locator("main .flash.warning")).to_be_visible()  # the sign-in page says why
    shoot(page, f"{lang}-portal-02-sign-in-why")

    page.goto("/")
    sign_in(page, member, "李会员")
    expect(page.locator(".welcome-bar")).to_contain_text("李会员")
    expect(page.locator(".banners .banner")).not_to_have_count(0)
    expect(page.locator(".topnav .bell .count")).to_have_text("1")
    page.set_viewport_size({"width": 375, "height": 812})
    expect(page.locator(".tabbar")).to_be_visible()
    shoot(page, f"{lang}-portal-03-home")

    page.set_viewport_size({"width": 375, "height": 812})
    page.locator(".tabbar a[href='/me']").click()
    expect(page.locator(".me-head h1")).to_have_text("李会员")
    expect(page.locator(".entries a")).not_to_have_count(0)
    shoot(page, f"{lang}-portal-04-me")

    page.locator("a.card-teaser").click()
    expect(page.locator(".member-card .mc-qr svg")).to_be_visible()
    expect(page.locator(".member-card")).to_contain_text("李*")
    shoot(page, f"{lang}-portal-05-card")
    code = page.locator(".mc-text code").inner_text()

    officer = open_in(new_page, lang)
    sign_in(officer, "community-admin", "商业场社区管理员")
    officer.goto(f"/manage/{COMMUNITY}/member-cards")
    form = officer.locator("main form")
    form.locator("[name=code]").fill(code.lower())
    assert submit(officer, form) == 200
    expect(officer.locator(".verdict.ok")).to_contain_text("李*")
    shoot(officer, f"{lang}-portal-06-verify")
    form = officer.locator("main form")
    form.locator("[name=code]").fill("1-2-3")
    assert submit(officer, form) == 200
    expect(officer.locator(".verdict.bad")).to_be_visible()
    expect(officer.locator("[name=code]")).to_have_value("1-2-3")
