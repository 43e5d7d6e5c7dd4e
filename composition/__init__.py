"""The composition root: the one package that imports every layer (blueprints, models, CLI, demo)."""
