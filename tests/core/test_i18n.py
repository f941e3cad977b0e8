"""Simplified Chinese by default, English on request; every string of the zh catalogs translated."""
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

PKG = Path(__file__).resolve().parents[2] / "src" / "union_saas"
CATALOGS = sorted(PKG.glob("*/translations/zh/LC_MESSAGES/messages.po"))


def test_pages_speak_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and 'lang="zh-Hans"' in html


def test_accept_language_is_honoured(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Sign in" in html and 'lang="en"' in html


def test_the_language_switch_is_remembered(client):
    response = client.get("/lang/en?next=/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    client.get("/lang/zh")
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_api_errors_follow_the_language(api):
    body = api().get("/api/v1/me", headers={"Accept-Language": "en"}).get_json()
    assert body["title"] == "Sign-in required"
    body = api().get("/api/v1/me", headers={"Accept-Language": "zh-CN"}).get_json()
    assert body["title"] == "需要登录"


def test_validation_messages_follow_the_language_in_the_api(api):
    """marshmallow's own messages ("Missing data for required field.") are translated like ours."""
    body = api().post("/api/v1/auth/register", json={"username": "ab"}, headers={"Accept-Language": "zh-CN"}).json
    assert body["status"] == 422 and body["detail"] == "请修改标出的字段。"
    assert body["errors"]["password"] == ["此项必填。"] and body["errors"]["username"] == ["长度须在 3 到 32 之间。"]
    body = api().post("/api/v1/auth/register", json={"username": "ab"}, headers={"Accept-Language": "en"}).json
    assert body["errors"]["password"] == ["Missing data for required field."]


def test_validation_messages_follow_the_language_in_pages(make_tree, make_user, grant, login):
    """A page's form shows the schema's messages in Chinese too, kept as typed."""
    tree = make_tree("fed")
    admin = make_user()
    grant(admin, "federation_admin", tree["fed"])
    response = login(admin).post("/manage/fed/activities/new", data={"title": "", "location": "Hall 3",
                                                                     "capacity": "0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "此项必填。" in html and "Hall 3" in html
    assert "Missing data for required field." not in html


@pytest.mark.parametrize("catalog", CATALOGS, ids=[c.parts[-5] for c in CATALOGS])
def test_every_string_has_a_chinese_translation(catalog):
    with catalog.open("rb") as f:
        messages = [m for m in read_po(f) if m.id]
    missing = [m.id for m in messages if not m.string or (isinstance(m.string, tuple) and not all(m.string))
               or m.fuzzy]
    assert not missing, f"{len(missing)} untranslated in {catalog.parts[-5]}: {missing[:10]}"


def test_a_string_means_one_thing_across_the_domains():
    """The domains' catalogs are merged into one namespace: one msgid, one translation (scripts/unify_zh.py)."""
    translations = {}
    for catalog in CATALOGS:
        with catalog.open("rb") as f:
            for m in read_po(f):
                if m.id and isinstance(m.id, str) and m.string:
                    translations.setdefault(m.id, set()).add(m.string)
    clashes = {k: v for k, v in translations.items() if len(v) > 1}
    assert not clashes, clashes


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_counts_are_written_with_thousands_separators(app, lang):
    with app.test_request_context(f"/?lang={lang}"):
        template = app.jinja_env.from_string("{{ 250000|number }} {{ 12|number }} [{{ none|number }}]")
        assert template.render() == "250,000 12 []"


def test_the_api_documents_itself_from_its_own_files(client):
    """/api/v1/docs: Swagger UI served by the app (no CDN), every operation with a summary, bearer tokens
    declared for those that need one."""
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/static/swagger-ui-bundle.js" in html and "//cdn" not in html and "<script>" not in html
    assert client.get("/api/v1/docs/static/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    operations = [op for methods in spec["paths"].values() for m, op in methods.items() if m != "parameters"]
    assert operations and all(op.get("summary") for op in operations)
    token = spec["paths"]["/api/v1/auth/token"]["post"]
    me = spec["paths"]["/api/v1/me"]["get"]
    assert not token.get("security") and me["security"] == [{"bearer": []}]
