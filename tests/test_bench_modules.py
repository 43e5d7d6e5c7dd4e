"""`make bench` is not part of `make test`, so a broken import in it would show only when someone benchmarks (the
map figures were missing from a run for that): every bench module is imported here."""
import importlib
import pkgutil

import pytest

import tests.bench

MODULES = sorted(name for _finder, name, _pkg in pkgutil.iter_modules(tests.bench.__path__, "tests.bench.")
                 if name not in ("tests.bench.__main__", "tests.bench.baseline_app"))


def test_the_bench_has_its_modules():
    assert {"tests.bench.map", "tests.bench.throughput", "tests.bench.board"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_each_bench_module_imports(name):
    importlib.import_module(name)
