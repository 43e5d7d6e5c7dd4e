"""Supervision (督办): notices and strikes against units, their pages and prints."""
