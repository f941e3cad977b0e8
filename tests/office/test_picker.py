"""Addressing a notice or task: a tree of the unions below, with a search that works without a script."""
import sqlalchemy as sa

from union_saas.office import services
from union_saas.office.models import Notice


def _checkboxes(html):
    import re

    return re.findall(r'<input type="checkbox" name="to_union" value="([^"]+)"( checked)?', html)


def test_the_form_lists_the_unions_below_as_a_tree_never_a_slug_box(office, login):
    _tenants, people = office
    html = login(people["a"]).get("/manage/a/office/notices/new").get_data(as_text=True)
    assert 'name="to_list"' not in html and "<textarea name=\"to_list\"" not in html
    assert {slug for slug, _checked in _checkboxes(html)} == {"s1", "s2", "c1", "c2", "c3"}
    assert "picker.js" in html and "data-picker-filter" in html
    # the sender itself is never offered
    assert 'value="a"' not in html


def test_find_reopens_the_form_with_matches_and_what_was_typed(office, login, db_session):
    tenants, people = office
    db_session.execute(sa.update(type(tenants["c2"])).where(type(tenants["c2"]).id == tenants["c2"].id)
                       .values(name="玉林社区"))
    db_session.commit()
    client = login(people["a"])
    html = client.get("/manage/a/office/notices/new", query_string={
        "title": "Kept", "to": "list", "to_union": ["c3"], "union_q": "玉林"}).get_data(as_text=True)
    assert 'value="Kept"' in html
    matches = html.split("data-picker-matches", 1)[1].split("</div>", 1)[0]
    assert 'value="c2"' in matches and "玉林社区" in matches and "S1" in matches  # with the unions between
    assert ("c3", " checked") in _checkboxes(html)


def test_ticked_unions_are_addressed_and_a_forged_one_is_refused(office, login, db_session, run_job):
    tenants, people = office
    client = login(people["s1"])
    client.set_cookie("locale", "en")  # the messages below are read in English, whatever the catalogs hold
    refused = client.post("/manage/s1/office/notices/new", data={"title": "T", "to": "list", "to_union": ["c1", "c3"]})
    assert refused.status_code == 422 and db_session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0
    empty = client.post("/manage/s1/office/notices/new", data={"title": "T", "to": "list"})
    assert empty.status_code == 422 and "Tick at least one union." in empty.get_data(as_text=True)
    sent = client.post("/manage/s1/office/notices/new", data={"title": "T", "to": "list", "to_union": ["c2"]})
    assert sent.status_code == 302
    notice = db_session.scalar(sa.select(Notice))
    assert notice.target == "list" and notice.target_ids == [tenants["c2"].id]


def test_a_large_subtree_shows_its_upper_levels_and_is_searched(office, db_session):
    tenants, _people = office
    roots, children_of, truncated = services.picker_tree(db_session, tenants["a"], limit=3)
    assert truncated and [t.slug for t in roots] == ["s1", "s2"]
    assert sum(len(v) for v in children_of.values()) == 3
    found = services.picker_search(db_session, tenants["a"], "c3")
    assert [(t.slug, between) for t, between in found] == [("c3", [tenants["s2"].name])]


def test_the_form_does_a_bounded_number_of_queries(office, login, make_tree, count_queries, db_session):
    _tenants, people = office
    client = login(people["a"])
    client.get("/manage/a/office/notices/new")
    with count_queries() as small:
        client.get("/manage/a/office/notices/new?union_q=c")
    make_tree(*(f"a/s1/x{i}" for i in range(30)))
    db_session.commit()
    with count_queries() as large:
        client.get("/manage/a/office/notices/new?union_q=x")
    assert large.count == small.count, "\n".join(s[:100] for s in large.statements) + "\n---\n" + \
        "\n".join(s[:100] for s in small.statements)
