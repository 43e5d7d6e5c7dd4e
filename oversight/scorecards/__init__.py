"""Scorecards, rankings, bulletins (旬通报, 月评比) and 红黑榜."""
