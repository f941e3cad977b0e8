"""Roles and permissions read from ``policies/*.yaml``; the names the code uses are checked against it."""
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# Every permission name the code asks about, gathered as modules are imported (see ``perm``).
USED: set[str] = set()


def perm(name: str) -> str:
    """Declare that the code uses permission ``name``; ``check_used`` verifies it at start-up."""
    USED.add(name)
    return name


@dataclass(frozen=True)
class Role:
    name: str
    labels: dict
    permissions: frozenset
    kinds: tuple

    def label(self, locale):
        return self.labels.get(locale) or self.labels.get("en") or self.name


@dataclass
class Policy:
    permissions: dict  # name -> {zh, en}
    roles: dict = field(default_factory=dict)  # name -> Role

    def role(self, name):
        return self.roles.get(name)

    def check_used(self, used):
        unknown = sorted(set(used) - set(self.permissions))
        if unknown:
            raise RuntimeError(f"permissions used in code but not declared in policies/: {', '.join(unknown)}")

    def label(self, name, locale):
        labels = self.permissions.get(name, {})
        return labels.get(locale) or labels.get("en") or name


def load_policy(directory) -> Policy:
    """Read every ``*.yaml`` of ``directory``; refuse a role naming an undeclared permission."""
    permissions, raw_roles = {}, {}
    folder = Path(directory) if isinstance(directory, str) else directory  # a path, or package data
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        permissions.update(data.get("permissions") or {})
        raw_roles.update(data.get("roles") or {})
    if not permissions or not raw_roles:
        raise RuntimeError(f"no roles or permissions found in {directory}")
    policy = Policy(permissions=permissions)
    for name, spec in raw_roles.items():
        names = spec.get("permissions") or []
        granted = frozenset(permissions) if names == ["*"] else frozenset(names)
        unknown = granted - set(permissions)
        if unknown:
            raise RuntimeError(f"role {name} names undeclared permissions: {', '.join(sorted(unknown))}")
        policy.roles[name] = Role(name, dict(spec.get("label") or {}), granted, tuple(spec.get("kinds") or ()))
    return policy
