"""The app object itself: Flask's behaviour kept where the shell answers a question more cheaply."""
import inspect
from functools import partial

import pytest
from flask import Flask

from portal.app import PortalFlask


def plain(value=None):
    return value


async def coroutine(value=None):
    return value


class Hooks:
    def plain(self, value=None):
        return value

    async def coroutine(self, value=None):
        return value


class CallableHook:
    def __call__(self, value=None):
        return value


def marked():
    return None


if hasattr(inspect, "markcoroutinefunction"):  # Python 3.12+: a plain def that returns an awaitable, marked
    inspect.markcoroutinefunction(marked)

CALLABLES = [plain, coroutine, Hooks().plain, Hooks().coroutine, partial(plain, 1), partial(coroutine, 1),
             CallableHook(), lambda: None, marked]


@pytest.mark.parametrize("func", CALLABLES, ids=["def", "async def", "method", "async method", "partial",
                                                 "async partial", "callable object", "lambda", "marked"])
def test_ensure_sync_answers_as_flask_does(func):
    ours, flask = PortalFlask("a"), Flask("b")
    flask.async_to_sync = ours.async_to_sync = lambda f: ("wrapped", f)  # no asgiref needed to see the decision
    assert ours.ensure_sync(func) == flask.ensure_sync(func)


def test_plain_functions_and_methods_come_back_unwrapped():
    app = PortalFlask("a")
    app.async_to_sync = lambda f: ("wrapped", f)
    method = Hooks().plain
    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(method) is method
    assert app.ensure_sync(coroutine) == ("wrapped", coroutine)
    assert app.ensure_sync(Hooks().coroutine)[0] == "wrapped"


def test_the_app_is_built_as_the_shell(app):
    assert isinstance(app, PortalFlask)
