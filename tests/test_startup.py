"""The app refuses to start when it would be unsafe: unguarded routes, unknown permissions, bad settings."""
import pytest
from flask import Blueprint

import union_saas
from union_saas import create_app
from union_saas.access import policy


def test_an_unknown_permission_used_in_code_stops_the_app(monkeypatch):
    monkeypatch.setattr(policy, "USED", policy.USED | {"rocket.launch"})
    with pytest.raises(RuntimeError, match="rocket.launch"):
        create_app("testing", DATABASE_URL="sqlite://")


def test_a_management_route_without_an_access_declaration_stops_the_app(monkeypatch):
    original = union_saas.register_domains

    def with_a_naked_route(app):
        original(app)
        naked = Blueprint("naked", __name__)
        naked.add_url_rule("/manage/<slug>/naked", "naked", lambda slug: "oops")
        app.register_blueprint(naked)

    monkeypatch.setattr(union_saas, "register_domains", with_a_naked_route)
    with pytest.raises(RuntimeError, match="naked"):
        create_app("testing", DATABASE_URL="sqlite://")


def test_a_role_naming_an_undeclared_permission_stops_the_app(tmp_path):
    (tmp_path / "roles.yaml").write_text("permissions:\n  a.b: {en: A}\nroles:\n  r:\n    label: {en: R}\n"
                                         "    permissions: [a.b, c.d]\n    kinds: [street]\n")
    with pytest.raises(RuntimeError, match="c.d"):
        policy.load_policy(tmp_path)


def test_engine_refuses_an_undeclared_permission_at_call_time(app):
    from union_saas.access import engine

    with app.app_context(), pytest.raises(ValueError):
        engine.check_permission_name("rocket.launch")


@pytest.mark.parametrize("env", [{}, {"SECRET_KEY": "short"}, {"SECRET_KEY": "x" * 40}])
def test_production_refuses_to_start_without_real_secrets(monkeypatch, env):
    for key in ("SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PII_KEY", "y" * 40)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(RuntimeError):
        create_app("production")


def test_production_starts_with_them(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PII_KEY", "y" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and not app.debug


def test_environment_variables_override_settings(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://example.invalid:1/2")
    app = create_app("testing", DATABASE_URL="sqlite://")
    assert app.config["REDIS_URL"] == "redis://example.invalid:1/2"


def test_every_permission_named_in_the_code_is_declared(app):
    """Besides the start-up check (names registered through the guards and ``perm``), read the source."""
    import re
    from pathlib import Path

    from union_saas.access import engine

    calls = re.compile(r"""(?:can|require|tenant_view|record_view|filter|perm|TenantPermission|scopes)\(\s*"""
                       r"""(?:[\w.\[\]"']+,\s*)*["']([a-z_]+\.[a-z_]+)["']""")
    with app.app_context():
        declared = set(engine.policy().permissions)
    used = set()
    for path in (Path(__file__).resolve().parents[1] / "src" / "union_saas").rglob("*.py"):
        used |= set(calls.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no permission at all"
    assert not used - declared, f"undeclared: {sorted(used - declared)}"


def test_every_permission_the_code_names_is_declared_in_policies(app):
    """A permission named anywhere in the code (a guard, a check, a list filter, a resource) exists in
    policies/: the startup check sees the guards' and resources' names; this sees the rest, as written."""
    import ast
    from pathlib import Path

    from union_saas.access import engine

    calls = {"can", "filter", "holds_at", "require", "perm", "tenant_view", "record_view", "TenantPermission",
             "scopes", "published", "register", "fetch", "permissions_at", "explain"}
    with app.app_context():
        declared = set(engine.policy().permissions)
    named = {}
    for path in (Path(union_saas.__file__).parent).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in calls:
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "." in arg.value \
                        and arg.value.replace(".", "").replace("_", "").isalpha() and arg.value.islower():
                    named.setdefault(arg.value, f"{path.name}:{node.lineno}")
    assert len(named) >= 10, f"the scan found too few permission names: {sorted(named)}"
    unknown = {p: where for p, where in named.items() if p not in declared}
    assert not unknown, f"permissions named in code but not declared in policies/: {unknown}"
