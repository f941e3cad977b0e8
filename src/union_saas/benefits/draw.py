"""The draw of a lottery giveaway (API.md, "A draw any member can check"): a pure function of the secret and
the entry codes.

- at creation: ``secret`` = 32 random bytes; only ``commitment = sha256(secret)`` (hex) is published;
- at the draw: ``seed = secret`` (hex) and ``entries_hash = sha256("\\n".join(sorted(entry codes)))`` (hex)
  are published, and ``ranking`` = every entry code ordered by ``sha256(seed_bytes + code_utf8)`` (hex,
  ascending; ties, impossible in practice, by the code); the first ``quantity`` win, the rest are the
  reserve in that order.

The page "How to check a draw" ships a script of its own (``static/check_draw.py``) that recomputes all of
this from the published data without importing anything of the platform: the tests run it on a real draw.
"""
import hashlib
import os

SECRET_BYTES = 32


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def commitment_of(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()


def entries_hash_of(codes) -> str:
    return hashlib.sha256("\n".join(sorted(codes)).encode("utf-8")).hexdigest()


def sort_key(seed: bytes, code: str) -> str:
    return hashlib.sha256(seed + code.encode("utf-8")).hexdigest()


def ranking_of(secret: bytes, codes) -> list[str]:
    return sorted(codes, key=lambda code: (sort_key(secret, code), code))


def run(secret: bytes, codes, quantity: int) -> dict:
    """The whole published result of a draw."""
    ranking = ranking_of(secret, codes)
    return {"commitment": commitment_of(secret), "seed": secret.hex(), "entries_hash": entries_hash_of(codes),
            "ranking": ranking, "winners": ranking[:quantity]}
