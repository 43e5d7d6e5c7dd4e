"""What an all-or-nothing import (CSV registry files, GeoJSON boundaries) answers: its problems, or that it wrote."""
from dataclasses import dataclass, field


@dataclass
class ImportOutcome:
    dry_run: bool = False
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems

    @property
    def written(self):
        return self.ok and not self.dry_run
