"""gunicorn's settings for production: ``gunicorn -c config/gunicorn.py wsgi:app``; flags override them.

SIGTERM (or SIGINT) to the master is a graceful stop: each worker finishes the requests it holds, for up to
``graceful_timeout`` seconds, then exits; SIGHUP reloads the workers the same way.
"""
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
timeout = 60  # a request that takes longer is stopped, and its worker replaced
graceful_timeout = 30  # what a worker told to stop has to finish the requests it holds
keepalive = 5  # behind a reverse proxy that keeps connections open
accesslog = "-"
