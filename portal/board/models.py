"""Exposure items, follow-up entries, photos, case links, appeals and the editorial trail."""
