"""The OpenAPI 3.1 description of every JSON API of the platform, served at /api/openapi.json and rendered for
integrators at /api/docs."""
