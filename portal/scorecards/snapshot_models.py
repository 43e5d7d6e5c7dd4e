"""Stored snapshots: 旬通报 bulletins, 月评比 rankings and 红黑榜 lists (never recomputed once stored)."""
