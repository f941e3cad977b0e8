"""Link names made from Chinese names (pinyin), and the to-do overview of /manage/<slug>."""
import sqlalchemy as sa

from union_saas.core.audit import AuditEntry
from union_saas.tenancy import services
from union_saas.tenancy.models import Tenant


def test_a_link_name_is_the_pinyin_of_the_name():
    assert services.slug_base("春熙路街道工会") == "chunxilujiedaogonghui"
    assert services.slug_base("成华区 总工会") == "chenghuaqu-zonggonghui"
    assert services.slug_base("ABC 科技有限公司") == "abc-kejiyouxiangongsi"
    assert services.slug_base("第3社区") == "di-3-shequ"
    assert services.slug_base("★★★") == "union"
    assert len(services.slug_base("很" * 200)) <= 59


def test_a_clash_takes_the_next_free_suffix(db_session, make_tree):
    t = make_tree("fed/shequ", "fed/shequ-2")
    assert services.suggest_slug(db_session, "社区") == "shequ-3"
    assert services.suggest_slug(db_session, "街道") == "jiedao"
    child = services.create_child(db_session, None, t["fed"], name="社区", kind="community")
    assert child.slug == "shequ-3"


def test_a_typed_link_name_wins_and_a_taken_one_is_refused(api, make_user, grant, make_tree, db_session):
    t = make_tree("fed")
    admin = make_user()
    grant(admin, "federation_admin", t["fed"])
    client = api(admin)
    made = client.post(f"/api/v1/tenants/{t['fed'].slug}/children", json={"name": "春熙路街道", "kind": "street"})
    assert made.status_code == 201 and made.json["slug"] == "chunxilujiedao"
    typed = client.post(f"/api/v1/tenants/{t['fed'].slug}/children",
                        json={"name": "春熙路街道", "kind": "street", "slug": "chunxi"})
    assert typed.status_code == 201 and typed.json["slug"] == "chunxi"
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Tenant))
    taken = client.post(f"/api/v1/tenants/{t['fed'].slug}/children",
                        json={"name": "别的", "kind": "street", "slug": "chunxi"})
    assert taken.status_code == 409
    bad = client.post(f"/api/v1/tenants/{t['fed'].slug}/children", json={"name": "x", "kind": "street", "slug": "Ab c"})
    assert bad.status_code == 422 and "slug" in bad.json["errors"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Tenant)) == before
    preview = client.get(f"/api/v1/tenants/{t['fed'].slug}/children/slug", query_string={"name": "春熙路街道"})
    assert preview.status_code == 200 and preview.json == {"slug": "chunxilujiedao-2"}
    assert client.get(f"/api/v1/tenants/{t['fed'].slug}/children/slug").status_code == 422


def test_the_create_form_works_without_a_link_name(login, make_user, grant, make_tree, db_session):
    t = make_tree("fed")
    admin = make_user()
    grant(admin, "federation_admin", t["fed"])
    client = login(admin)
    page = client.get(f"/manage/{t['fed'].slug}").get_data(as_text=True)
    assert 'data-slug-url="/manage/fed/children/slug"' in page and "slug.js" in page
    response = client.post(f"/manage/{t['fed'].slug}/children/new", data={"name": "锦江区工会", "kind": "street"})
    assert response.status_code == 302
    assert db_session.scalar(sa.select(Tenant.slug).where(Tenant.name == "锦江区工会")) == "jinjiangqugonghui"
    assert client.get("/manage/fed/children/slug?name=锦江区工会").json == {"slug": "jinjiangqugonghui-2"}
    entry = db_session.scalar(sa.select(AuditEntry).where(AuditEntry.target == "jinjiangqugonghui"))
    assert entry.action == "tenant.create"


def test_the_operator_makes_federations_without_typing_a_link_name(api, make_user, db_session):
    operator, admin = make_user(operator=True), make_user()
    client = api(operator)
    assert client.get("/api/v1/admin/federations/slug?name=金牛区总工会").json == {"slug": "jinniuquzonggonghui"}
    made = client.post("/api/v1/admin/federations", json={"name": "金牛区总工会", "admin_username": admin.username})
    assert made.status_code == 201 and made.json["slug"] == "jinniuquzonggonghui"


def _todo_world(db_session, make_tree, make_user, grant, make_member):
    from tests.office.helpers import assign, send

    t = make_tree("fed/s1/c1", "fed/s1/c2")
    admin = make_user()
    grant(admin, "union_admin", t["s1"])
    for _ in range(2):
        make_member(make_user(), t["s1"], status="pending")
    make_member(make_user(), t["c1"], status="pending")  # below: not s1's to decide
    send(db_session, t["fed"])
    assign(db_session, t["fed"])
    return t, admin


def test_the_manage_home_lists_what_waits_with_counts_and_links(db_session, make_tree, make_user, grant,
                                                                 make_member, api, login):
    _t, admin = _todo_world(db_session, make_tree, make_user, grant, make_member)
    body = api(admin).get("/api/v1/tenants/s1/todo").json
    counts = {item["name"]: item["count"] for item in body["items"]}
    assert {"members.review", "office.inbox", "office.assignments"} <= set(counts)
    assert {name: n for name, n in counts.items() if n} == {"members.review": 2, "office.inbox": 1,
                                                            "office.assignments": 1}  # every other module's: 0
    links = {item["name"]: item["url"] for item in body["items"]}
    assert links["members.review"] == "/manage/s1/members?status=pending"
    assert links["office.assignments"] == "/manage/s1/office/assignments"
    assert body["total"] == 4
    page = login(admin).get("/manage/s1").get_data(as_text=True)
    assert "/manage/s1/members?status=pending" in page and 'class="todo-item due"' in page
    # the office tab's badge counts the unread notice and the open task
    assert '>2</span></a>' in page.split('href="/manage/s1/office"', 1)[1].split("</a>", 1)[0] + "</a>"


def test_the_manage_home_does_a_bounded_number_of_queries(db_session, make_tree, make_user, grant, make_member,
                                                           login, count_queries):
    t, admin = _todo_world(db_session, make_tree, make_user, grant, make_member)
    client = login(admin)
    client.get("/manage/s1")
    with count_queries() as small:
        assert client.get("/manage/s1").status_code == 200
    for _ in range(20):
        make_member(make_user(), t["s1"], status="pending")
    with count_queries() as large:
        assert client.get("/manage/s1").status_code == 200
    assert large.count == small.count <= 25
