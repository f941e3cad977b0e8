"""Personal data at rest: ID numbers encrypted (AES-GCM) and found by a keyed hash (blind index).

Both keys are derived (HKDF-SHA256) from one secret, ``PII_KEY``, which comes from the environment.
Development generates one under ``instance/`` on first use; tests carry their own in the testing
settings; production refuses to start without it.
"""
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from union_saas.core import files

VERSION = b"\x01"  # first byte of every ciphertext: which scheme wrote it
NONCE = 12
KEY_FILE = "pii.key"


class Keys:
    def __init__(self, secret: str):
        material = secret.encode("utf-8")
        self.aead = AESGCM(_derive(material, b"union-saas pii encryption"))
        self.index = _derive(material, b"union-saas pii blind index")

    def encrypt(self, plaintext: bytes, context: bytes = b"") -> bytes:
        nonce = os.urandom(NONCE)
        return VERSION + nonce + self.aead.encrypt(nonce, plaintext, context)

    def decrypt(self, blob: bytes, context: bytes = b"") -> bytes:
        if not blob or blob[:1] != VERSION:
            raise ValueError("unknown ciphertext version")
        return self.aead.decrypt(blob[1:1 + NONCE], blob[1 + NONCE:], context)

    def blind_index(self, value: str) -> str:
        return hmac.new(self.index, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _derive(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def load_secret(app) -> str:
    """``PII_KEY`` from the settings; development creates ``instance/pii.key`` once."""
    secret = app.config.get("PII_KEY")
    if secret:
        if len(secret) < 32:
            raise RuntimeError("PII_KEY must be 32 characters or more")
        return secret
    if app.config.get("ENV_NAME") == "production":
        raise RuntimeError("production needs PII_KEY from the environment (32 characters or more)")
    path = Path(app.instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        app.logger.warning("generated a development PII key at %s", path)
    return path.read_text().strip()


def init_app(app):
    app.extensions["union_saas.pii"] = Keys(load_secret(app))


def keys() -> Keys:
    app = current_app
    if "union_saas.pii" not in app.extensions:
        init_app(app)
    return app.extensions["union_saas.pii"]


def encrypt_id(id_number: str) -> bytes:
    return keys().encrypt(id_number.encode("ascii"), b"id_number")


def decrypt_id(blob: bytes) -> str:
    return keys().decrypt(blob, b"id_number").decode("ascii")


def id_hash(id_number: str) -> str:
    return keys().blind_index("id:" + id_number)


def encrypt_file(content: bytes) -> bytes:
    return keys().encrypt(content, b"member_file")


def decrypt_file(blob: bytes) -> bytes:
    return keys().decrypt(blob, b"member_file")


# Member files (roster uploads, reports, exports) are stored encrypted under this cipher's name.
FILES = files.register_cipher("pii", encrypt_file, decrypt_file)
