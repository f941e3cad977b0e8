"""The offices without developer words, in the browser (zh and en, 375 px and 1280 px): the link name made
from a Chinese name as it is typed, the union picker of notices (with and without a script), the manage
home's to-do overview, the audit log's sentences, the job page's place, and the operator's pages."""
import re

import pytest

from tests.e2e.test_foundation_pages import (
    HTML_LANG,
    LANGS,
    expect,
    open_site,
    sign_in,
    submit,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", LANGS)
def test_the_link_name_is_previewed_from_the_chinese_name(lang, new_page, shoot):
    page = open_site(new_page, lang)
    sign_in(page, "district-admin", "区总工会管理员")
    page.goto("/manage/jinjiang")
    expect(page.locator(".todo")).to_be_visible()
    shoot(page, f"officeux-{lang}-01-manage-home")
    create = page.locator("form[action$='/children/new']")
    slug = create.locator("[name=slug]")
    preview = page.locator("#p-new-slug")
    expect(preview).to_be_hidden()
    create.locator("[name=name]").fill("玉林青年志愿者工会")
    pinyin = re.compile(r"^yulinqingnianzhiyuanzhegonghui(-\d+)?$")  # the zh run may have taken it already
    expect(slug).to_have_value(pinyin)
    expect(preview).to_be_visible()
    expect(preview.locator("output")).to_have_text(pinyin)
    shoot(page, f"officeux-{lang}-02-slug-preview")
    # Edited by hand, it stays as typed whatever the name becomes.
    slug.fill(f"yulin-youth-{lang}")
    create.locator("[name=name]").fill("玉林青年志愿者工会（筹）")
    page.wait_for_timeout(400)
    expect(slug).to_have_value(f"yulin-youth-{lang}")
    expect(preview.locator("output")).to_have_text(f"yulin-youth-{lang}")
    create.locator("[name=kind]").select_option("enterprise")
    assert submit(page, create) == 302
    expect(page.locator(".flash")).to_contain_text("玉林青年志愿者工会（筹）")
    # Left to the preview, the next one gets the pinyin, free of clashes.
    create = page.locator("form[action$='/children/new']")
    create.locator("[name=name]").fill("玉林青年志愿者工会")
    expect(create.locator("[name=slug]")).not_to_have_value("")
    made = create.locator("[name=slug]").input_value()
    assert made.startswith("yulinqingnianzhiyuanzhegonghui")
    create.locator("[name=kind]").select_option("enterprise")
    assert submit(page, create) == 302
    page.goto(f"/manage/{made}")
    expect(page.locator("h1")).to_contain_text("玉林青年志愿者工会")
    page.goto(f"/manage/yulin-youth-{lang}")
    expect(page.locator("h1")).to_contain_text("玉林青年志愿者工会（筹）")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])


@pytest.mark.parametrize("lang", LANGS)
def test_a_notice_is_addressed_by_ticking_unions_in_a_searchable_tree(lang, new_page, shoot):
    page = open_site(new_page, lang)
    sign_in(page, "district-admin", "区总工会管理员")
    page.goto("/manage/jinjiang/office/notices/new")
    tree = page.locator("[data-picker-tree]")
    expect(tree.locator("li[data-name*='chunxi-street']")).to_be_visible()
    shoot(page, f"officeux-{lang}-03-picker")
    page.locator("[data-picker-filter]").fill("商业场")
    target = tree.locator("li[data-name*='chunxi-shangye-community']")
    expect(target).to_be_visible()
    expect(tree.locator(":scope > li:not([hidden])")).to_have_count(1)  # only its street stays, opened
    shoot(page, f"officeux-{lang}-04-picker-filtered")
    target.locator("> label input[type=checkbox]").check()
    expect(page.locator("[data-picker-list]")).to_be_checked()
    expect(page.locator("[data-picker-count]")).to_contain_text("1")
    page.locator("[data-picker-filter]").press("Enter")  # filters; never sends the notice
    assert page.url.endswith("/office/notices/new")
    form = page.locator("main form[method=post]")
    form.locator("[name=title]").fill(f"{lang}: 春节慰问安排")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.locator("button.primary[type=submit]").click()
    page.wait_for_load_state()
    assert answer.value.status == 302
    expect(page.locator("#job")).to_be_visible()
    expect(page.locator(".subnav")).to_be_visible()  # the union's management tabs stay
    expect(page.locator("#job .job-kind")).to_have_text({"zh": "发送通知", "en": "Sending the notice"}[lang])
    assert "/receipts" in page.locator("#job a.button.secondary").get_attribute("href")
    shoot(page, f"officeux-{lang}-05-job-page")


def test_the_union_picker_works_without_a_script(browser, live_server, screenshots):
    from tests.e2e.conftest import MOBILE

    context = browser.new_context(viewport=MOBILE, locale="zh-CN", base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        from union_saas.demo import DEMO_PASSWORD

        page.locator("main form [name=username]").fill("district-admin")
        page.locator("main form [name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.goto("/manage/jinjiang/office/notices/new")
        form = page.locator("main form[method=post]")
        form.locator("[name=title]").fill("无脚本的通知")
        form.locator("[name=union_q]").fill("商业场")
        form.locator("[data-picker-find]").click()
        page.wait_for_load_state()
        assert "union_q=" in page.url
        form = page.locator("main form[method=post]")
        expect(form.locator("[name=title]")).to_have_value("无脚本的通知")
        match = page.locator("[data-picker-matches] input[value=chunxi-shangye-community]")
        match.check()
        form.locator("[data-picker-list]").check()
        page.screenshot(path=str(screenshots / "officeux-zh-06-picker-no-script-375.png"), full_page=True)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            form.locator("button.primary[type=submit]").click()
        assert answer.value.status == 302
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_audit_log_and_the_operators_pages_read_as_sentences(lang, new_page, shoot):
    page = open_site(new_page, lang)
    sign_in(page, "district-admin", "区总工会管理员")
    page.goto("/manage/jinjiang/audit")
    first = page.locator("td.what").first
    expect(first).to_contain_text("区总工会管理员")
    assert "=" not in first.inner_text()
    shoot(page, f"officeux-{lang}-07-audit")
    page = open_site(new_page, lang)
    sign_in(page, "operator", "平台运营")
    page.goto("/admin")
    expect(page.locator(".stat-grid .stat")).not_to_have_count(0)
    shoot(page, f"officeux-{lang}-08-admin")
    page.goto("/admin/users?q=worker")
    row = page.locator("tbody tr", has_text="张小工")
    expect(row).to_be_visible()
    shoot(page, f"officeux-{lang}-09-admin-users")
    row.locator("a").click()
    form = page.locator("form[action$='/lock']")
    page.once("dialog", lambda dialog: dialog.accept())
    assert submit(page, form) == 422  # no reason given
    shoot(page, f"officeux-{lang}-10-admin-lock-422")
    form = page.locator("form[action$='/lock']")
    form.locator("[name=reason]").fill({"zh": "测试锁定", "en": "Testing a lock"}[lang])
    page.once("dialog", lambda dialog: dialog.accept())
    assert submit(page, form) == 302
    expect(page.locator("h1 .badge")).to_be_visible()
    shoot(page, f"officeux-{lang}-11-admin-locked")
    assert submit(page, page.locator("form[action$='/unlock']")) == 302
    page.goto("/admin/federations")
    shoot(page, f"officeux-{lang}-12-admin-federations")
