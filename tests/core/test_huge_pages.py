"""``?page=`` with any number answers a page (the last one) or a 422, never a 500: every list page and API
list that takes only a union's address, called with huge, negative and zero page numbers."""
import pytest

HUGE = "99999999999999999999"


@pytest.fixture
def admin(make_tree, make_user, grant, db_session):
    tree = make_tree("fed/street/block")
    user = make_user("pager")
    grant(user, "federation_admin", tree["fed"])
    db_session.commit()
    return user


def list_routes(app, prefix):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.rule.startswith(prefix) and set(rule.arguments) <= {"slug"} \
                and not rule.rule.endswith((".png", ".ics", ".atom", "/export", "/openapi.json")):
            yield rule.rule.replace("<slug>", "fed")


@pytest.mark.parametrize("number", [HUGE, "-3", "0", "2"])
def test_pages_answer_the_last_page_for_any_page_number(app, admin, login, number):
    client = login(admin)
    paths = list(list_routes(app, "/manage/")) + ["/activities", "/notifications", "/account"]
    answers = {path: client.get(f"{path}?page={number}").status_code for path in paths}
    assert not {p: s for p, s in answers.items() if s >= 500}, answers
    assert answers["/manage/fed/grants"] == 200 and answers["/manage/fed/audit"] == 200


@pytest.mark.parametrize("number", [HUGE, "-3", "0"])
def test_api_lists_refuse_page_numbers_out_of_range(app, admin, api, number):
    client = api(admin)
    answers = {path: client.get(f"{path}?page={number}").status_code for path in list_routes(app, "/api/v1/")}
    assert not {p: s for p, s in answers.items() if s >= 500}, answers
    assert answers["/api/v1/tenants/fed/grants"] == 422


def test_a_page_past_the_end_shows_the_last_page(admin, login, api):
    html = login(admin).get(f"/manage/fed/audit?page={HUGE}").get_data(as_text=True)
    assert "tenant.create" in html or "Union created" in html or "创建" in html
    past = api(admin).get("/api/v1/tenants/fed/audit?page=999").get_json()
    assert past["items"] == [] and past["total"] > 0
