"""Signed values (the session cookie, a survey's form token, device cookie and receipt) without building their
serializer and deriving their key again on every request.

itsdangerous builds a serializer for each call site and derives its signing key (a hash of the salt and the secret)
on every ``dumps`` and ``loads``; a survey submission checks four signed values, so that work was done a dozen
times per request. The serializers here are kept per (secret keys, salt, ...) and their signers derive each key
once per process. A serializer holds only its settings, so one may serve every thread. Changing ``SECRET_KEY``
(or its fallbacks) gives new serializers: nothing signed with a retired key is accepted by the kept ones.

Flask-WTF's CSRF token is signed and checked the same way (``KeptCSRFProtect``, ``generate_csrf``): the library
builds a serializer for every token it signs or checks.
"""
import hashlib
import hmac
import os
from functools import lru_cache

from flask import current_app, g, request, session
from flask import sessions as flask_sessions
from flask_wtf.csrf import CSRFProtect, logger, same_origin
from itsdangerous import BadData, SignatureExpired, Signer, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous import signer as itsdangerous_signer
from itsdangerous.encoding import want_bytes
from itsdangerous.signer import HMACAlgorithm
from wtforms import ValidationError

KEPT = 64  # distinct (keys, salt, ...) combinations: a handful in production, one per test app in the tests


@lru_cache(maxsize=KEPT * 4)
def _derived(secret_key, salt, key_derivation, digest_method):
    return Signer(secret_key, salt=salt, key_derivation=key_derivation, digest_method=digest_method).derive_key()


# The libraries' default digest: SHA-1 behind a Python function (itsdangerous's and Flask's session's ``_lazy_sha1``),
# which makes ``hmac.new`` take its pure-Python path (two hash objects and the key padded in Python on every
# signature). The same HMAC-SHA1 by name is OpenSSL's one call.
_LAZY_SHA1 = {getattr(itsdangerous_signer, "_lazy_sha1", None), getattr(flask_sessions, "_lazy_sha1", None),
              hashlib.sha1} - {None}


class _SHA1(HMACAlgorithm):
    """HMAC-SHA1, as ``HMACAlgorithm(sha1)`` computes it, in one OpenSSL call."""

    def get_signature(self, key, value):
        return hmac.digest(key, value, "sha1")


class _KeptKey:
    """Derives each signing key once per process (the derivation depends only on these four values), and signs with
    OpenSSL's HMAC-SHA1 when the digest is the default SHA-1."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self.algorithm) is HMACAlgorithm and self.digest_method in _LAZY_SHA1:
            self.algorithm = _SHA1(self.digest_method)

    def derive_key(self, secret_key=None):
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        return _derived(secret, self.salt, self.key_derivation, self.digest_method)


class KeptSigner(_KeptKey, Signer):
    pass


class KeptTimestampSigner(_KeptKey, TimestampSigner):
    pass


class _KeptSigners:
    """A serializer that builds its signer once per salt (itsdangerous builds one on every dumps and loads). A signer
    holds only its settings, so one may serve every thread."""

    def make_signer(self, salt=None):
        salt = self.salt if salt is None else salt
        signers = self.__dict__.setdefault("_kept_signers", {})
        signer = signers.get(salt)
        if signer is None:
            signer = signers[salt] = super().make_signer(salt)
        return signer


class _KeptTimedSerializer(_KeptSigners, URLSafeTimedSerializer):
    pass


class _KeptSerializer(_KeptSigners, URLSafeSerializer):
    pass


def _signer_kwargs(key_derivation, digest_method):
    kwargs = {"key_derivation": key_derivation} if key_derivation else {}
    return dict(kwargs, digest_method=digest_method) if digest_method else kwargs


@lru_cache(maxsize=KEPT)
def timed_serializer(secret_keys, salt, serializer=None, key_derivation=None, digest_method=None):
    """A URLSafeTimedSerializer for these keys (a tuple, the current key last) and salt, built once per process."""
    return _KeptTimedSerializer(list(secret_keys), salt=salt, serializer=serializer, signer=KeptTimestampSigner,
                                signer_kwargs=_signer_kwargs(key_derivation, digest_method))


@lru_cache(maxsize=KEPT)
def serializer(secret_key, salt):
    """A URLSafeSerializer (no timestamp) for this key and salt, built once per process."""
    return _KeptSerializer(secret_key, salt=salt, signer=KeptSigner)


# ---------------------------------------------------------------- the CSRF token, through a kept serializer

CSRF_SALT = "wtf-csrf-token"  # Flask-WTF's: tokens stay valid across this change, both ways


def csrf_serializer(secret_key):
    return timed_serializer((want_bytes(secret_key),), CSRF_SALT)


def generate_csrf(secret_key=None, token_key=None):
    """``flask_wtf.csrf.generate_csrf`` (the same token, kept on ``g`` for the request), signed by a kept serializer."""
    app, request_globals = current_app._get_current_object(), g._get_current_object()  # each looked up once
    secret_key = _csrf_config(secret_key, "WTF_CSRF_SECRET_KEY", app.secret_key,
                              message="A secret key is required to use CSRF.", config=app.config)
    field_name = _csrf_config(token_key, "WTF_CSRF_FIELD_NAME", "csrf_token",
                              message="A field name is required to use CSRF.", config=app.config)
    if field_name not in request_globals:
        signer, data = csrf_serializer(secret_key), session._get_current_object()
        if field_name not in data:
            data[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        try:
            token = signer.dumps(data[field_name])
        except TypeError:
            data[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
            token = signer.dumps(data[field_name])
        setattr(request_globals, field_name, token)
    return request_globals.get(field_name)


def validate_csrf(data, secret_key=None, time_limit=None, token_key=None):
    """``flask_wtf.csrf.validate_csrf`` (the same checks and messages), with a kept serializer."""
    config = current_app.config
    secret_key = _csrf_config(secret_key, "WTF_CSRF_SECRET_KEY", current_app.secret_key,
                              message="A secret key is required to use CSRF.", config=config)
    field_name = _csrf_config(token_key, "WTF_CSRF_FIELD_NAME", "csrf_token",
                              message="A field name is required to use CSRF.", config=config)
    time_limit = _csrf_config(time_limit, "WTF_CSRF_TIME_LIMIT", 3600, required=False, config=config)
    if not data:
        raise ValidationError("The CSRF token is missing.")
    if field_name not in session:
        raise ValidationError("The CSRF session token is missing.")
    try:
        token = csrf_serializer(secret_key).loads(data, max_age=time_limit)
    except SignatureExpired as e:
        raise ValidationError("The CSRF token has expired.") from e
    except BadData as e:
        raise ValidationError("The CSRF token is invalid.") from e
    if not hmac.compare_digest(session[field_name], token):
        raise ValidationError("The CSRF tokens do not match.")


def _csrf_config(value, name, default=None, required=True, message="CSRF is not configured.", config=None):
    if value is None:
        value = (config if config is not None else current_app.config).get(name, default)
    if required and value is None:
        raise RuntimeError(message)
    return value


class KeptCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRFProtect, checking the token with ``validate_csrf`` above. ``protect`` is Flask-WTF 1.3.0's,
    line for line, but for that call (the library offers no other way in; tests/portal/test_signing.py fails when
    a new Flask-WTF changes the original)."""

    def protect(self, apply_exemptions=False):
        if apply_exemptions:
            if not request.endpoint:
                return
            if self._is_exempt():
                return
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        try:
            validate_csrf(self._get_csrf_token())
        except ValidationError as e:
            logger.info(e.args[0])
            self._error_response(e.args[0])
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            good_referrer = f"https://{request.host}/"
            if not same_origin(request.referrer, good_referrer):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True  # mark this request as CSRF valid
