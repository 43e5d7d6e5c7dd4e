"""The login, password and user-account pages and forms (portal.auth: who may do what)."""
