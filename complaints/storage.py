"""Where photo files live: a small storage interface and its local-disk implementation under the instance folder.

Keys are random and never contain an uploader's file name; the database keeps only keys. Photos are served
through routes that check access (see ``complaints.photos.send_photo``), so a storage has no public URLs.
"""
import os
import re
import secrets
from pathlib import Path

from flask import current_app

SUFFIXES = (".jpg",)  # everything is re-encoded to JPEG before it is stored
_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{32}\.jpg")
_EXTENSION = "minsheng.photo_storage"


class StorageError(Exception):
    """A key that is not one of ours, or a suffix we do not store."""


class LocalStorage:
    """Files under ``root``, spread over 256 sub-folders by the first two characters of their random key."""

    def __init__(self, root):
        self.root = Path(root)

    def save(self, data, suffix=".jpg"):
        """Write ``data`` under a new random key and return the key. The file appears complete or not at all."""
        if suffix not in SUFFIXES:
            raise StorageError(f"suffix {suffix!r} is not stored")
        name = secrets.token_hex(16)
        key = f"{name[:2]}/{name}{suffix}"
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.part")
        with open(partial, "xb") as fh:
            fh.write(data)
        os.replace(partial, path)  # atomic: a reader never sees half a photo
        return key

    def open(self, key):
        return open(self.path(key), "rb")

    def exists(self, key):
        return self.path(key).is_file()

    def delete(self, key):
        self.path(key).unlink(missing_ok=True)

    def path(self, key):
        """The file of ``key``; refuses anything that is not a key we made (so no ``../`` can slip through)."""
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise StorageError(f"not a storage key: {key!r}")
        return self.root / key


def get_storage():
    """The app's photo storage: ``UPLOAD_FOLDER`` from the config if set, else ``instance/uploads``."""
    storage = current_app.extensions.get(_EXTENSION)
    if storage is None:
        root = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
        storage = current_app.extensions.setdefault(_EXTENSION, LocalStorage(root))
    return storage
