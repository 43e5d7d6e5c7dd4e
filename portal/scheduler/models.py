"""Scheduler lock and job-run records."""
