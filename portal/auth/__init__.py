"""Staff accounts, roles and what each role may do, login, and the audit log."""
