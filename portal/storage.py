"""Where photo files live: one small storage interface, a local folder (the default) and an S3-compatible bucket.

Keys are random and never contain an uploader's file name; the database keeps only keys, and every store refuses a
key it did not make. Photos are served through routes that check access (see ``portal.photos.send_photo``), so
a storage has no public URLs: a bucket stays private.
"""
import io
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


def check_key(key):
    """``key`` if it is one we made; anything else (``../``, absolute paths, other names) raises StorageError."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise StorageError(f"not a storage key: {key!r}")
    return key


def new_key(suffix):
    if suffix not in SUFFIXES:
        raise StorageError(f"suffix {suffix!r} is not stored")
    name = secrets.token_hex(16)
    return f"{name[:2]}/{name}{suffix}"


class Storage:
    """What every store does. ``save`` returns a new key; ``open`` gives a readable binary file (a context manager)
    and raises FileNotFoundError for a key that has no file; ``delete`` of a missing key is not an error."""

    def save(self, data, suffix=".jpg"):
        raise NotImplementedError

    def open(self, key):
        raise NotImplementedError

    def read(self, key):
        with self.open(key) as fh:
            return fh.read()

    def save_pair(self, full, thumb, suffix=".jpg"):
        """Save a photo and its thumbnail: ``(key, thumb_key)``; when the thumbnail cannot be saved, the photo
        already saved is deleted again, so no half of a pair is left behind."""
        key = self.save(full, suffix)
        try:
            return key, self.save(thumb, suffix)
        except Exception:
            self.delete(key)
            raise

    def exists(self, key):
        raise NotImplementedError

    def delete(self, key):
        raise NotImplementedError


class LocalStorage(Storage):
    """Files under ``root``, spread over 256 sub-folders by the first two characters of their random key. Several
    machines share it only through a shared folder (NFS); otherwise use the S3 store."""

    def __init__(self, root):
        self.root = Path(root)

    def save(self, data, suffix=".jpg"):
        """Write ``data`` under a new random key and return the key. The file appears complete or not at all."""
        key = new_key(suffix)
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
        return self.root / check_key(key)


class S3Storage(Storage):
    """Objects in one bucket of an S3-compatible service (AWS S3, MinIO, Ceph, OSS/COS in S3 mode), shared by every
    web machine. An object is written in one PUT, so a reader never sees half a photo."""

    def __init__(self, bucket, endpoint_url=None, access_key_id=None, secret_access_key=None, region=None,
                 prefix="", connect_timeout=3.05, read_timeout=10.0, retries=3):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region or None,
            config=Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                          retries={"max_attempts": retries + 1, "mode": "standard"},
                          s3={"addressing_style": "path"}),
        )

    def _object(self, key):
        return self.prefix + check_key(key)

    def save(self, data, suffix=".jpg"):
        key = new_key(suffix)
        self.client.put_object(Bucket=self.bucket, Key=self._object(key), Body=bytes(data),
                               ContentType="image/jpeg")
        return key

    def open(self, key):
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from error
            raise
        with answer["Body"] as body:
            return io.BytesIO(body.read())  # photos are small (a few hundred KB): read once, close the connection

    def exists(self, key):
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))


def storage_from_config(config, instance_path):
    """The store the config names: ``UPLOAD_STORE`` "local" (``UPLOAD_FOLDER``, default ``instance/uploads``) or
    "s3" (``S3_BUCKET`` and friends)."""
    kind = (config.get("UPLOAD_STORE") or "local").lower()
    if kind == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("UPLOAD_STORE=s3 needs S3_BUCKET")
        return S3Storage(config["S3_BUCKET"], endpoint_url=config.get("S3_ENDPOINT_URL"),
                         access_key_id=config.get("S3_ACCESS_KEY_ID"),
                         secret_access_key=config.get("S3_SECRET_ACCESS_KEY"), region=config.get("S3_REGION"),
                         prefix=config.get("S3_PREFIX") or "",
                         connect_timeout=config.get("OUTBOUND_CONNECT_TIMEOUT", 3.05),
                         read_timeout=config.get("OUTBOUND_READ_TIMEOUT", 10.0),
                         retries=config.get("OUTBOUND_RETRIES", 3))
    if kind != "local":
        raise RuntimeError(f"UPLOAD_STORE must be 'local' or 's3', not {kind!r}")
    return LocalStorage(config.get("UPLOAD_FOLDER") or os.path.join(instance_path, "uploads"))


def get_storage():
    """The app's photo storage, made once per app from its config."""
    storage = current_app.extensions.get(_EXTENSION)
    if storage is None:
        storage = current_app.extensions.setdefault(
            _EXTENSION, storage_from_config(current_app.config, current_app.instance_path))
    return storage
