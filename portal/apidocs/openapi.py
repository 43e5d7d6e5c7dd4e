"""The OpenAPI 3.1 description (filled in below)."""


def description():
    return {"openapi": "3.1.0", "info": {"title": "Minsheng", "version": "1"}, "paths": {}}
