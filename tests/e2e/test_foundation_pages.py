"""What a federation admin, a newcomer and a visitor do in the browser, in Chinese and in English.

Every scenario runs in both languages: Chinese is what a phone in China gets by default; English is
chosen with the switch in the page. Each page visited is checked at 375 px and 1280 px (no sideways
scrolling, tap targets of 40 px or more, full-width form fields) and saved as a screenshot.
"""

import pytest

from union_saas.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

LANGS = ["zh", "en"]
HTML_LANG = {"zh": "zh-Hans", "en": "en"}


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_site(new_page, lang):
    """A visitor's first page: the site home in Chinese; for English, the switch in the page is used."""
    page = new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    if lang == "en":
        page.locator(".langs a[lang=en]").click()
        page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])
    return page


def submit(page, form):
    """Submit ``form`` with its button; return the status of the answer to the POST."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    return answer.value.status


def sign_in(page, username, display_name):
    page.locator(".topnav a[href='/login']").click()
    form = page.locator("main form")
    form.locator("[name=username]").fill(username)
    form.locator("[name=password]").fill(DEMO_PASSWORD)
    assert submit(page, form) == 302
    expect(page.locator(".topnav")).to_contain_text(display_name)


def field_errors(form, name):
    return form.locator(f".field.has-error:has([name={name}]) .errors li")


@pytest.mark.parametrize("lang", LANGS)
def test_federation_admin_creates_a_child_union_and_grants_a_role(lang, new_page, shoot):
    page = open_site(new_page, lang)
    shoot(page, f"{lang}-01-home")
    page.locator(".topnav a[href='/login']").click()
    shoot(page, f"{lang}-02-sign-in")
    page.goto("/")
    sign_in(page, "district-admin", "区总工会管理员")
    expect(page.locator("main a[href='/manage/jinjiang']")).to_be_visible()
    shoot(page, f"{lang}-03-home-signed-in")

    # The lazy tree: a node's children arrive when it is opened.
    page.locator("main a[href='/manage/jinjiang']").click()
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])
    expect(page.locator("h1")).to_contain_text("锦江区总工会")
    tree = page.locator("#tree")
    shoot(page, f"{lang}-04-manage")
    more = tree.locator("li.more button")
    if more.count():  # one page of the tree shown; the rest on request
        shown = tree.locator(":scope > li[data-slug]").count()
        more.click()
        expect(tree.locator(":scope > li.more")).to_have_count(0)
        assert tree.locator(":scope > li[data-slug]").count() > shown
    street = tree.locator("li[data-slug=chunxi-street]")
    expect(street.locator("li[data-slug=chunxi-shangye-community]")).to_have_count(0)
    street.locator(":scope > .node button.toggle").click()
    expect(street.locator("li[data-slug=chunxi-shangye-community]")).to_be_visible()
    expect(street.locator(":scope > .node button.toggle")).to_have_attribute("aria-expanded", "true")
    shoot(page, f"{lang}-05-manage-tree-open")
    street.locator(":scope > .node button.toggle").click()  # closes again, without asking the server
    expect(street.locator("li[data-slug=chunxi-shangye-community]")).to_be_hidden()
    street.locator(":scope > .node button.toggle").click()
    expect(street.locator("li[data-slug=chunxi-shangye-community]")).to_have_count(1)

    # A bad address: 422, the message beside the field, and what was typed kept.
    slug = f"e2e-{lang}-union"
    name = {"zh": "春熙路青年志愿者工会", "en": "Chunxi Youth Volunteers Union"}[lang]
    create = page.locator("form[action$='/children/new']")
    create.locator("[name=name]").fill(name)
    create.locator("[name=slug]").fill("Bad Slug!")
    create.locator("[name=kind]").select_option("enterprise")
    assert submit(page, create) == 422
    create = page.locator("form[action$='/children/new']")
    expect(field_errors(create, "slug")).not_to_have_count(0)
    expect(field_errors(create, "name")).to_have_count(0)
    expect(create.locator("[name=slug]")).to_have_value("Bad Slug!")
    expect(create.locator("[name=name]")).to_have_value(name)
    expect(create.locator("[name=kind]")).to_have_value("enterprise")
    expect(create.locator("[name=slug]")).to_have_attribute("aria-invalid", "true")
    shoot(page, f"{lang}-06-create-child-422")

    create.locator("[name=slug]").fill(slug)
    assert submit(page, create) == 302
    expect(page.locator(".flash")).to_contain_text(name)
    new_node = page.locator(f"#tree li[data-slug={slug}]")
    expect(new_node).to_be_visible()
    shoot(page, f"{lang}-07-child-created")

    # Its grants page: give the worker a role by username, see it listed, ask "why?".
    new_node.locator(f"a[href='/manage/{slug}']").click()
    expect(page.locator("h1")).to_contain_text(name)
    page.locator(f".subnav a[href='/manage/{slug}/grants']").click()
    expect(page.locator(".subnav a.active")).to_have_attribute("href", f"/manage/{slug}/grants")
    shoot(page, f"{lang}-08-grants")
    form = page.locator("form[action$='/grants'][method=post]")
    form.locator("[name=username]").fill("nobody-here")
    form.locator("[name=role]").select_option("union_officer")
    assert submit(page, form) == 404
    form = page.locator("form[action$='/grants'][method=post]")
    expect(form.locator("[name=username]")).to_have_value("nobody-here")
    expect(field_errors(form, "username")).not_to_have_count(0)
    expect(form.locator("[name=role]")).to_have_value("union_officer")
    shoot(page, f"{lang}-09-grant-unknown-user")
    form.locator("[name=username]").fill("worker")
    assert submit(page, form) == 302
    officer = {"zh": "工会干事", "en": "Union officer"}[lang]
    row = page.locator("main .list li", has_text="@worker")
    expect(row).to_contain_text("张小工")
    expect(row).to_contain_text(officer)
    shoot(page, f"{lang}-10-granted")

    row.locator("a[href*='explain_user=worker']").click()
    explain = page.locator(".explain")
    expect(explain).to_contain_text("张小工")  # union officers may not grant roles: it says so
    expect(explain).not_to_contain_text(officer)
    why = page.locator("#why form")
    expect(why.locator("[name=explain_user]")).to_have_value("worker")
    why.locator("[name=permission]").select_option("activity.manage")
    why.locator("button[type=submit]").click()
    expect(page.locator(".explain")).to_contain_text(officer)
    expect(page.locator(".explain")).to_contain_text(name)  # where the grant was made, by its name
    shoot(page, f"{lang}-11-why")

    # Revoking asks first: "cancel" keeps the role, "OK" takes it away.
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.locator("main .list li", has_text="@worker").locator("button.danger").click()
    page.wait_for_timeout(300)
    expect(page.locator("main .list li", has_text="@worker")).to_have_count(1)
    assert "张小工" in questions[0] and officer in questions[0]
    assert questions[0].startswith({"zh": "确定收回", "en": "Take the role"}[lang])
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("main .list li", has_text="@worker").locator("button.danger").click()
    expect(page.locator("main .list li", has_text="@worker")).to_have_count(0)
    expect(page.locator(".flash")).to_contain_text("张小工")

    # Every step is in the audit log of the union above, as sentences naming the union.
    page.goto("/manage/jinjiang/audit")
    expect(page.locator("main table")).to_contain_text(name)
    expect(page.locator("main table")).not_to_contain_text("membership:")
    shoot(page, f"{lang}-12-audit")


@pytest.mark.parametrize("lang", LANGS)
def test_newcomer_with_a_weak_password_is_told_why(lang, new_page, shoot):
    page = open_site(new_page, lang)
    page.locator(".topnav a[href='/register']").click()
    form = page.locator("main form")
    form.locator("[name=username]").fill(f"newcomer-{lang}")
    form.locator("[name=display_name]").fill("王小明")
    form.locator("[name=password]").fill("password")
    assert submit(page, form) == 422
    form = page.locator("main form")
    expect(field_errors(form, "password")).not_to_have_count(0)
    expect(field_errors(form, "username")).to_have_count(0)
    expect(form.locator("[name=username]")).to_have_value(f"newcomer-{lang}")
    expect(form.locator("[name=display_name]")).to_have_value("王小明")
    expect(form.locator("[name=password]")).to_have_value("")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])
    shoot(page, f"{lang}-20-register-weak-password")

    # Switching language on the page that answered the form goes back to the form, not to an error.
    other = "zh" if lang == "en" else "en"
    page.locator(f".langs a[lang={other}]").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[other])
    assert page.url.endswith("/register")
    expect(page.locator("main form [name=username]")).to_be_visible()


@pytest.mark.parametrize("lang", LANGS)
def test_visitor_reads_a_union_public_home_on_a_phone(lang, new_page, shoot):
    page = open_site(new_page, lang)
    page.locator("main a[href='/t/jinjiang']").click()
    expect(page.locator("h1")).to_have_text("锦江区总工会")
    shoot(page, f"{lang}-21-public-home-federation")
    page.locator("main a[href='/t/chunxi-street']").click()
    expect(page.locator("h1")).to_have_text("春熙路街道总工会")
    expect(page.locator(".breadcrumb")).to_contain_text("锦江区总工会")
    expect(page.locator("main a[href='/t/chunxi-shangye-community']")).to_be_visible()
    expect(page.locator("main a[href^='tel:']")).to_contain_text("028-8666 1001")
    expect(page.locator("main")).to_contain_text("王晓梅")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])
    shoot(page, f"{lang}-22-public-home-street")


@pytest.mark.parametrize("lang", LANGS)
def test_operator_creates_a_federation_and_an_admin_sees_their_account(lang, new_page, shoot):
    page = open_site(new_page, lang)
    sign_in(page, "operator", "平台运营")
    page.locator(".topnav a[href='/admin/federations']").click()
    shoot(page, f"{lang}-30-admin-federations")
    form = page.locator("main form[method=post]")
    form.locator("[name=name]").fill("青羊区总工会")
    form.locator("[name=slug]").fill(f"qingyang-{lang}")
    form.locator("[name=admin_username]").fill("no-such-person")
    assert submit(page, form) == 422
    form = page.locator("main form[method=post]")
    expect(field_errors(form, "admin_username")).not_to_have_count(0)
    expect(form.locator("[name=slug]")).to_have_value(f"qingyang-{lang}")
    shoot(page, f"{lang}-31-admin-federations-422")
    form.locator("[name=admin_username]").fill("worker")
    assert submit(page, form) == 302
    expect(page.locator(f"main a[href='/t/qingyang-{lang}']")).to_be_visible()

    page = open_site(new_page, lang)
    sign_in(page, "street-admin", "春熙路街道管理员")
    page.locator(".topnav a[href='/me']").click()  # 我的, and from there the account
    page.locator("main .entries a[href='/account']").click()
    expect(page.locator("main a[href='/manage/chunxi-street']")).to_be_visible()
    shoot(page, f"{lang}-32-account")
    page.goto("/manage/shuyuan-street")  # a sibling street: not theirs, and not even said to exist
    expect(page.locator(".status-code")).to_have_text("404")
    shoot(page, f"{lang}-33-not-found")


@pytest.mark.parametrize("lang", LANGS)
def test_admin_imports_sub_unions_from_a_yaml_file_and_watches_the_job(lang, new_page, shoot):
    page = open_site(new_page, lang)
    sign_in(page, "community-admin", "商业场社区管理员")
    page.goto("/manage/chunxi-shangye-community")
    page.locator("summary", has=page.locator("text=YAML")).click()
    form = page.locator("form[action$='/import']")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "bad.yaml", "mimeType": "application/x-yaml", "buffer": b"- slug: Not A Slug\n"}])
    assert submit(page, form) == 422
    form = page.locator("form[action$='/import']")
    expect(form).to_be_visible()  # its section stays open, with the messages under the file field
    expect(form.locator(".field.has-error .errors li").first).to_contain_text("Not A Slug")
    expect(form.locator("input[type=file]")).to_have_attribute("aria-invalid", "true")
    shoot(page, f"{lang}-40-import-422")

    shops = f"- slug: e2e-{lang}-shop-a\n  name: 太古里A座商户工会\n  kind: enterprise\n" \
            f"- slug: e2e-{lang}-shop-b\n  name: 太古里B座商户工会\n  kind: enterprise\n"
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "shops.yaml", "mimeType": "application/x-yaml", "buffer": shops.encode()}])
    assert submit(page, form) == 302
    expect(page.locator("#job")).to_have_attribute("data-status", "finished")
    shoot(page, f"{lang}-41-import-job-done")
    page.locator("#job a.button").click()
    expect(page.locator(f"#tree li[data-slug=e2e-{lang}-shop-a]")).to_be_visible()
    expect(page.locator(f"#tree li[data-slug=e2e-{lang}-shop-b]")).to_be_visible()
