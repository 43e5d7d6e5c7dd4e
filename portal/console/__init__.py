"""The staff console shell: dashboard, city settings, staff accounts and the audit log."""
