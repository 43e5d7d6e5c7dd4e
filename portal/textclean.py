"""Text typed by residents and staff, made safe to show: bidirectional controls removed before it is stored.

A right-to-left override (U+202E) in a report would display the rest of a line reversed on the staff console and
the public pages ("‮已清理" tricks a reader); Chinese and English text never needs these controls. Display
still isolates typed text (``<bdi>``) for rows stored before this cleaner existed.
"""
import unicodedata

# Embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI) and the invisible direction marks.
BIDI_CONTROLS = frozenset({"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"})
DIRECTION_MARKS = frozenset({"\u200e", "\u200f", "\u061c"})


def is_bidi_control(char):
    return char in DIRECTION_MARKS or unicodedata.bidirectional(char) in BIDI_CONTROLS


def clean_text(value):
    """``value`` without bidirectional controls; None and "" pass through."""
    if not value:
        return value
    return "".join(char for char in value if not is_bidi_control(char))
