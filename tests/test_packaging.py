"""``pip install .`` gives a working app: every domain, its templates, catalogs (compiled), static files and
migrations are in the wheel, and so are the settings, policies and demo tenants; nothing is read from the
repository. No setuptools warning on the way."""
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO

PKG = REPO / "src" / "union_saas"
pytestmark = pytest.mark.xdist_group("packaging")  # one wheel, built once
LEFT_OUT = shutil.ignore_patterns(".git", ".venv", "instance", "test-output", "build", "*.egg-info", "__pycache__",
                                  "bench", "tests")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Built from a copy of the checkout: setuptools writes build/ and *.egg-info beside the sources.
    source, out = tmp_path_factory.mktemp("source") / "union-saas", tmp_path_factory.mktemp("wheel")
    shutil.copytree(REPO, source, symlinks=True, ignore=LEFT_OUT)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "-w", str(out), str(source)], capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    warnings = [line for line in (built.stdout + built.stderr).splitlines()
                if "warn" in line.lower() and "Location" not in line]
    assert not warnings, warnings
    return next(out.glob("union_saas-*.whl"))


def test_the_wheel_holds_every_domain_and_what_it_needs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    domains = sorted(p.parent.name for p in PKG.glob("*/views.py"))
    assert domains and "office" in domains
    for domain in domains:
        assert f"union_saas/{domain}/__init__.py" in names, domain
        assert f"union_saas/{domain}/translations/zh/LC_MESSAGES/messages.mo" in names, domain
    assert {"union_saas/policies/roles.yaml", "union_saas/tenants/demo-district.yaml",
            "union_saas/config/__init__.py", "union_saas/config/production.py",
            "union_saas/core/templates/base.html", "union_saas/core/static/app.js",
            "union_saas/migrations/env.py"} <= names
    assert any(n.startswith("union_saas/migrations/versions/") for n in names)


def test_the_installed_package_runs_away_from_the_repository(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import os, sys\n"
        "from union_saas import create_app\n"
        "from flask_migrate import upgrade\n"
        "assert __import__('union_saas').__file__.startswith(os.environ['SITE']), 'the checkout was imported'\n"
        "app = create_app('testing', DATABASE_URL='sqlite:///' + os.path.join(os.environ['SITE'], 'app.db'))\n"
        "with app.app_context():\n"
        "    upgrade()\n"
        "html = app.test_client().get('/login').get_data(as_text=True)\n"
        "assert '登录' in html, html[:300]\n"
        "print('ok', app.extensions['union_saas.policy'].roles.keys().__len__())\n"
    )
    paths = [str(site), *[p for p in sys.path if p.endswith("site-packages")]]
    env = {"PATH": "/usr/bin:/bin", "SITE": str(site), "PYTHONPATH": ":".join(paths), "HOME": str(tmp_path),
           "UNION_SAAS_INSTANCE": str(tmp_path / "instance")}
    # -S: no site (the editable install's path hook is not loaded): the unpacked wheel, then the dependencies
    run = subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path[:0] = {paths!r}\n" + script],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("ok")
