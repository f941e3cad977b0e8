"""The WSGI entry point: ``gunicorn wsgi:app``."""
from union_saas import create_app

app = create_app()
