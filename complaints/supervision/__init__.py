"""Supervision (督办): notices and strikes against units (rules and models; the pages are in complaints/console/)."""
