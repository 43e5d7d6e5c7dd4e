"""Scorecard rules (weights, targets, veto lines), stored bulletin and ranking snapshots."""
