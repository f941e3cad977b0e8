"""The audit log reads as sentences in the reader's language: every action the code records has one."""
import ast
import pathlib
import re

import pytest
import sqlalchemy as sa

import union_saas
from union_saas.core.audit import AUDIT_LABELS, AuditEntry, describe_all
from union_saas.members import services as members

SRC = pathlib.Path(union_saas.__file__).parent
ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def _constants(node):
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and ACTION.match(n.value)}


def _function_of(tree, target):
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(n is target for n in ast.walk(fn)):
            return fn
    return None


def recorded_actions():
    """Every action the code can record: the ``action=`` of each ``record``/``audit`` call (and of a domain
    error's ``audit={...}``), literal or through a name assigned or passed in the same module."""
    found = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        values = [kw.value for c in calls for kw in c.keywords if kw.arg == "action"]
        values += [v for d in ast.walk(tree) if isinstance(d, ast.Dict)
                   for k, v in zip(d.keys, d.values) if isinstance(k, ast.Constant) and k.value == "action"]
        for value in values:
            names = set()
            if isinstance(value, ast.Name):
                names.add(value.id)
            elif isinstance(value, ast.JoinedStr):
                suffix = "".join(p.value for p in value.values if isinstance(p, ast.Constant))
                inner = [p.value.id for p in value.values if isinstance(p, ast.FormattedValue)
                         and isinstance(p.value, ast.Name)]
                fn = _function_of(tree, value)
                params = [a.arg for a in fn.args.args] if fn else []
                for name in inner:
                    index = params.index(name) if name in params else None
                    for call in calls:
                        if isinstance(call.func, ast.Name) and fn and call.func.id == fn.name:
                            args = [a for a in call.args if isinstance(a, ast.Constant)]
                            picked = [kw.value for kw in call.keywords if kw.arg == name]
                            if index is not None and len(call.args) > index:
                                picked.append(call.args[index])
                            for node in picked:
                                for action in _constants(node):
                                    found[action + suffix] = path
                            assert args is not None
                continue
            for action in _constants(value):
                found[action] = path
            fn = _function_of(tree, value)
            for name in names:
                for node in ast.walk(fn or tree):
                    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                            for t in node.targets):
                        for action in _constants(node.value):
                            found[action] = path
    return found


def test_the_walk_finds_the_actions_of_every_domain():
    actions = recorded_actions()
    for expected in ("tenant.create", "tenant.archive", "tenant.restore", "grant.create.refused",
                     "grant.revoke.refused", "member.approve", "activity.reach.reject", "office.report.return",
                     "member.export", "account.lock"):
        assert expected in actions


def test_every_recorded_action_has_its_sentence(app):
    missing = {action: str(path.relative_to(SRC)) for action, path in recorded_actions().items()
               if action not in AUDIT_LABELS}
    assert not missing, f"add a sentence to core.audit.AUDIT_LABELS for {missing}"


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_every_sentence_names_its_actor_and_is_translated(app, locale):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        for action, template in AUDIT_LABELS.items():
            text = str(template)
            assert "%(actor)s" in text, action
            if locale == "zh":
                assert not re.search(r"[A-Za-z]{3,}", re.sub(r"%\(\w+\)s", "", text)), (action, text)


def test_a_transfer_approval_reads_as_a_sentence(db_session, make_tree, make_user, make_member, login, grant, app):
    t = make_tree("fed/s1", "fed/s2", kinds={"s1": "street", "s2": "street"})
    db_session.execute(sa.update(type(t["s1"])).where(type(t["s1"]).id == t["s1"].id).values(name="春熙路街道"))
    db_session.execute(sa.update(type(t["s2"])).where(type(t["s2"]).id == t["s2"].id).values(name="猛追湾街道"))
    db_session.expire_all()
    officer = make_user(display_name="张三")
    grant(officer, "federation_admin", t["fed"])
    worker = make_user(display_name="Li")
    old = make_member(worker, t["s1"])
    old.real_name = "李四"
    db_session.flush()
    new = members.transfer(db_session, worker, members.get_membership(db_session, old.id), t["s2"])
    members.approve(db_session, officer, members.get_membership(db_session, new.id))
    entry = db_session.scalar(sa.select(AuditEntry).options(sa.orm.joinedload(AuditEntry.actor),
                                                              sa.orm.joinedload(AuditEntry.tenant))
                              .where(AuditEntry.action == "member.approve"))
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("en"):
            assert describe_all(db_session, [entry])[entry.id] == \
                "张三 approved 李四's transfer from 春熙路街道 to 猛追湾街道."
        with force_locale("zh"):
            text = describe_all(db_session, [entry])[entry.id]
            assert "张三" in text and "李四" in text and "春熙路街道" in text and "猛追湾街道" in text
            assert not re.search(r"[A-Za-z]", text)
    client = login(officer)
    client.set_cookie("locale", "zh")
    page = client.get(f"/manage/{t['fed'].slug}/audit").get_data(as_text=True)
    cells = re.findall(r'<td class="what"[^>]*>(.*?)</td>', page, re.DOTALL)
    assert cells and not any("=" in c or "membership:" in c for c in cells)
    assert any("李四" in c and "张三" in c for c in cells)


def test_the_audit_page_does_a_bounded_number_of_queries(db_session, make_tree, make_user, make_member, grant,
                                                          login, count_queries):
    t = make_tree("fed/s1")
    officer = make_user()
    grant(officer, "federation_admin", t["fed"])
    client = login(officer)

    def add(n):
        for _ in range(n):
            m = make_member(make_user(), t["s1"], status="pending")
            members.approve(db_session, officer, members.get_membership(db_session, m.id))

    add(2)
    client.get("/manage/fed/audit")
    with count_queries() as small:
        assert client.get("/manage/fed/audit").status_code == 200
    add(15)
    with count_queries() as large:
        assert client.get("/manage/fed/audit").status_code == 200
    assert large.count == small.count
