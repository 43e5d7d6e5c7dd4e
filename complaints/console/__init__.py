"""The staff console for cases: lists, queue, case page and its actions, intake, map."""
