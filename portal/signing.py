"""Signed values (the session cookie, a survey's form token, device cookie and receipt) without building their
serializer and deriving their key again on every request.

itsdangerous builds a serializer for each call site and derives its signing key (a hash of the salt and the secret)
on every ``dumps`` and ``loads``; a survey submission checks four signed values, so that work was done a dozen
times per request. The serializers here are kept per (secret keys, salt, ...) and their signers derive each key
once per process. A serializer holds only its settings, so one may serve every thread. Changing ``SECRET_KEY``
(or its fallbacks) gives new serializers: nothing signed with a retired key is accepted by the kept ones.
"""
from functools import lru_cache

from itsdangerous import Signer, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

KEPT = 64  # distinct (keys, salt, ...) combinations: a handful in production, one per test app in the tests


@lru_cache(maxsize=KEPT * 4)
def _derived(secret_key, salt, key_derivation, digest_method):
    return Signer(secret_key, salt=salt, key_derivation=key_derivation, digest_method=digest_method).derive_key()


class _KeptKey:
    """Derives each signing key once per process (the derivation depends only on these four values)."""

    def derive_key(self, secret_key=None):
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        return _derived(secret, self.salt, self.key_derivation, self.digest_method)


class KeptSigner(_KeptKey, Signer):
    pass


class KeptTimestampSigner(_KeptKey, TimestampSigner):
    pass


def _signer_kwargs(key_derivation, digest_method):
    kwargs = {"key_derivation": key_derivation} if key_derivation else {}
    return dict(kwargs, digest_method=digest_method) if digest_method else kwargs


@lru_cache(maxsize=KEPT)
def timed_serializer(secret_keys, salt, serializer=None, key_derivation=None, digest_method=None):
    """A URLSafeTimedSerializer for these keys (a tuple, the current key last) and salt, built once per process."""
    return URLSafeTimedSerializer(list(secret_keys), salt=salt, serializer=serializer, signer=KeptTimestampSigner,
                                  signer_kwargs=_signer_kwargs(key_derivation, digest_method))


@lru_cache(maxsize=KEPT)
def serializer(secret_key, salt):
    """A URLSafeSerializer (no timestamp) for this key and salt, built once per process."""
    return URLSafeSerializer(secret_key, salt=salt, signer=KeptSigner)
