"""Every public address of the app is fuzzed or says here why not: a new public endpoint cannot slip past the
fuzz suite unnoticed. Console pages (signed-in staff) and static files are not public input."""
import importlib
import pkgutil

import tests.fuzz

# Public endpoints the fuzz tests leave alone, each with its reason.
NOT_FUZZED = {
    "home.favicon": "takes no input: a fixed file",
    "home.healthz": "takes no input: the health check for the load balancer",
}
STAFF_ONLY_PREFIXES = ("/console",)


def fuzzed_endpoints():
    found = set()
    for module in pkgutil.iter_modules(tests.fuzz.__path__):
        if module.name.startswith("test_"):
            found |= getattr(importlib.import_module(f"tests.fuzz.{module.name}"), "ENDPOINTS", set())
    return found


def public_endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and not rule.rule.startswith(STAFF_ONLY_PREFIXES)}


def test_every_public_endpoint_is_fuzzed_or_excused(app):
    public = public_endpoints(app)

    unaccounted = public - fuzzed_endpoints() - set(NOT_FUZZED)

    assert not unaccounted, f"public endpoints with no fuzz test and no reason in NOT_FUZZED: {sorted(unaccounted)}"


def test_the_lists_name_only_endpoints_that_exist(app):
    public = public_endpoints(app)

    assert fuzzed_endpoints() <= public and set(NOT_FUZZED) <= public
    assert not fuzzed_endpoints() & set(NOT_FUZZED)
