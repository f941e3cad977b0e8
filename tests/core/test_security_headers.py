"""Every answer carries the security headers; no template needs an inline script or style to work."""
import re
from pathlib import Path

import pytest

from union_saas import create_app

PKG = Path(__file__).resolve().parents[2] / "src" / "union_saas"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def csp(response):
    return dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";")
                if part.strip())


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/roles", "/no-such-page"])
def test_pages_and_the_api_carry_the_security_headers(client, path):
    response = client.get(path)
    policy = csp(response)
    assert policy["script-src"] == "'self'" and "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert policy["style-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # not in development or tests


def test_templates_hold_no_inline_script_handler_or_style():
    found = []
    for template in PKG.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE_ATTRIBUTE):
            found += [f"{template.relative_to(PKG)}: {m.group(0).strip()}" for m in pattern.finditer(text)]
        if "<style" in text:
            found.append(f"{template.relative_to(PKG)}: <style>")
    assert not found, "\n".join(found)


def test_production_adds_hsts_on_https(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PII_KEY", "y" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app("production")
    secure = app.test_client().get("/login", base_url="https://union.example")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in app.test_client().get("/login", base_url="http://union.example").headers
