"""No secret of the repository signs anything outside ``make run`` and the tests: an app started without
saying its environment runs the production settings, which refuse to start without real secrets."""
import re
from pathlib import Path

import pytest

from tests.conftest import REPO
from union_saas import create_app


@pytest.fixture
def bare_environment(monkeypatch, tmp_path):
    for key in ("UNION_SAAS_ENV", "SECRET_KEY", "PII_KEY", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("UNION_SAAS_INSTANCE", str(tmp_path / "instance"))
    return tmp_path


def test_without_an_environment_the_app_refuses_to_start_without_real_secrets(bare_environment):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()  # what gunicorn wsgi:app does


def test_without_an_environment_but_with_real_secrets_it_runs_production(bare_environment, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("PII_KEY", "p" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()
    assert app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] == "s" * 40


def test_development_makes_its_own_key_once_and_no_key_is_in_the_repository(bare_environment, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    first = create_app("development").config["SECRET_KEY"]
    assert len(first) >= 32 and create_app("development").config["SECRET_KEY"] == first
    assert (bare_environment / "instance" / "secret.key").stat().st_mode & 0o077 == 0
    assert first not in (REPO / "config" / "development.py").read_text()
    for path in (REPO / "config").glob("*.py"):
        if path.name != "testing.py":
            assert not re.search(r"^SECRET_KEY\s*=\s*['\"]", path.read_text(), re.MULTILINE), path


def test_the_makefile_runs_development_unless_told_otherwise():
    makefile = (Path(REPO) / "Makefile").read_text()
    assert re.search(r"^export UNION_SAAS_ENV \?= development$", makefile, re.MULTILINE)
