"""Every public address of the app is fuzzed or says here why not: a new public endpoint cannot slip past the
fuzz suite unnoticed. Console pages (signed-in staff) and static files are not public input. A fuzz module names
its endpoints in ``ENDPOINTS``, or, when they follow from the app (the OpenAPI description's), in ``endpoints(app)``."""
import importlib
import pkgutil

import tests.fuzz

# Public endpoints the fuzz tests leave alone, each with its reason.
NOT_FUZZED = {
    "home.favicon": "takes no input: a fixed file",
    "health.healthz": "takes no input: the liveness check for the load balancer",
    "health.readyz": "takes no input: the readiness check (its answer is checked by tests/portal/test_health.py)",
    "apidocs.docs": "takes no input: a fixed page (the API viewer)",
    "apidocs.openapi_json": "takes no input: the fixed description (validated by tests/portal/test_openapi.py)",
}
STAFF_ONLY_PREFIXES = ("/console",)


def fuzzed_endpoints(app):
    found = set()
    for module in pkgutil.iter_modules(tests.fuzz.__path__):
        if module.name.startswith("test_"):
            fuzz = importlib.import_module(f"tests.fuzz.{module.name}")
            found |= getattr(fuzz, "ENDPOINTS", set())
            if hasattr(fuzz, "endpoints"):
                found |= fuzz.endpoints(app)
    return found


def public_endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and not rule.rule.startswith(STAFF_ONLY_PREFIXES)}


def test_every_public_endpoint_is_fuzzed_or_excused(app):
    public = public_endpoints(app)

    unaccounted = public - fuzzed_endpoints(app) - set(NOT_FUZZED)

    assert not unaccounted, f"public endpoints with no fuzz test and no reason in NOT_FUZZED: {sorted(unaccounted)}"


def test_the_lists_name_only_endpoints_that_exist(app):
    public = public_endpoints(app)

    fuzzed = fuzzed_endpoints(app)
    assert fuzzed <= public and set(NOT_FUZZED) <= public
    assert not fuzzed & set(NOT_FUZZED)
