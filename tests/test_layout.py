"""Imports flow one way (DESIGN.md): the foundation never reaches up into the domains built on it."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "union_saas"
FEATURES = {"members", "activities", "groups", "benefits", "community", "assistance", "office", "projects",
            "polls", "insights"}


def imported_domains(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("union_saas."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("union_saas."))
    return names


# The inner rooms of tenancy and access: what they may import.
RULES = {
    "tenancy/models.py": {"core"},
    "tenancy/services.py": {"core", "tenancy"},
    "tenancy/sections.py": set(),
    "access/policy.py": set(),
    "access/models.py": {"core", "tenancy"},
    "access/engine.py": {"core", "access", "tenancy"},
    "access/services.py": {"core", "access", "tenancy"},
}


@pytest.mark.parametrize("module", sorted(RULES))
def test_the_core_of_tenancy_and_access_imports_no_other_domain(module):
    extra = imported_domains(PKG / module) - RULES[module] - {"extensions"}
    assert not extra, f"{module} imports {sorted(extra)}"


def test_core_imports_no_domain_except_through_the_guards():
    for path in (PKG / "core").glob("*.py"):
        extra = imported_domains(path) - {"core", "extensions"}
        if path.name == "views.py":  # the job page asks the guards, like every view
            extra -= {"access"}
        assert not extra, f"core/{path.name} imports {sorted(extra)}"


def test_the_foundation_imports_no_feature_domain():
    for domain in ("core", "tenancy", "accounts", "access"):
        for path in (PKG / domain).glob("*.py"):
            assert not imported_domains(path) & FEATURES, f"{domain}/{path.name} imports a feature domain"


def test_no_domain_imports_another_domains_views():
    for path in PKG.glob("*/*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("union_saas."):
                parts = node.module.split(".")
                if len(parts) > 2 and parts[2] in ("views", "api") and parts[1] not in (path.parent.name, "core"):
                    pytest.fail(f"{path.relative_to(PKG)} imports {node.module}")
