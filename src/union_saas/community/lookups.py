"""What the community's pages and API share at the web level: the flood limit."""
import functools

from flask_login import current_user

from union_saas.community import services


def writer_key():
    """Flood counts per person (pages and API together), else per address."""
    from flask_limiter.util import get_remote_address

    if current_user.is_authenticated:
        return f"community-user:{current_user.id}"
    return "community-address:" + (get_remote_address() or "")


@functools.cache
def _shared():
    from union_saas.extensions import limiter

    return limiter.shared_limit(services.flood_limit, "community-write", key_func=writer_key, methods=["POST"])


def flood_limited(view):
    """A person who posts or comments faster than ``COMMUNITY_FLOOD_LIMITS`` is slowed down (429)."""
    return _shared()(view)
