"""One class per kind of question (``QuestionKind``), as indico's survey ``fields/`` does: each holds what is
specific to its kind — the definition check, the answer field, the answer check, how answers are counted and
summarised, how they are exported, whether they can drive a display condition. ``question.type`` finds the one
instance of its kind; the rest of the surveys package asks the type instead of branching on the kind.

Importing this package registers every type and fails at once if a kind has none.
"""
from surveys.questions import area, choice, scale, text  # noqa: F401 - importing a module registers its types
from surveys.questions.base import REGISTRY, ExportLabels, QuestionType, missing_types, type_of

if missing_types():
    raise RuntimeError(f"question kinds without a type: {missing_types()}")

# The kinds counted per value, for callers outside the package (the load test's checks), derived from the types.
COUNTED_KINDS = frozenset(kind for kind, kind_type in REGISTRY.items() if kind_type.counted)

__all__ = ["COUNTED_KINDS", "REGISTRY", "ExportLabels", "QuestionType", "missing_types", "type_of"]
