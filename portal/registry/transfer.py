"""CSV import and export of areas, units and points: an upload is checked whole, then written whole or not at all.

Every problem is collected before anything is written (一次性告知), so the user can fix the file in one go.
"""
import csv
import io
from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _l

from portal import exports
from portal.auth import audit
from portal.extensions import db
from portal.registry.forms import ERROR_MESSAGES
from portal.registry.models import Area, Point, Unit
from portal.registry.outcome import ImportOutcome
from portal.registry.services import RegistryError, save
from portal.registry.transfer_columns import SPECS, BadValue

KINDS = ("areas", "units", "points")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MODELS = {"areas": Area, "units": Unit, "points": Point}



@dataclass
class Problem:
    """One thing wrong with an upload. ``line`` counts like a spreadsheet (header = 1); None for the whole file."""

    kind: str | None
    file: str | None
    line: int | None
    column: str | None
    message: object  # a lazy string, translated when shown

    def sort_key(self):
        columns = [c.name for c in SPECS[self.kind].columns] if self.kind else []
        return (KINDS.index(self.kind) if self.kind else -1, self.line or 0,
                columns.index(self.column) if self.column in columns else -1)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult(ImportOutcome):
    counts: dict = field(default_factory=dict)  # kind -> Counts, for the kinds uploaded


@dataclass
class _Row:
    kind: str
    file: str
    line: int
    code: str  # as typed, even when invalid, so that references to it are not reported twice
    values: dict  # column name -> parsed value, for the columns the file has
    obj: object = None  # the existing record with this code
    changes: dict = field(default_factory=dict)


def _decode(data):
    """Text of a CSV saved by Excel: UTF-8 (with or without BOM), else GB18030 (which covers GBK)."""
    if b"\x00" in data:  # UTF-16 "Unicode text", or an .xlsx workbook
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _cell(value):
    return exports.unescape_csv(value.strip())


def _column_letter(index):
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _read(kind, filename, data):
    """Parse one file into rows; returns (rows, problems). Cell-level checks only: references come later."""
    spec = SPECS[kind]
    problems = []

    def problem(line, column, message):
        problems.append(Problem(kind, filename, line, column, message))

    if len(data) > MAX_BYTES:
        problem(None, None, _l("The file is larger than %(limit)d MB.", limit=MAX_BYTES // (1024 * 1024)))
        return [], problems
    text = _decode(data) if isinstance(data, bytes) else data
    if text is None:
        problem(None, None, _l("The file cannot be read as text. In Excel, save it as “CSV UTF-8” (or “CSV”) "
                               "and upload it again."))
        return [], problems
    records = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    line = 0  # the last line read whole; a CSV error is on the next one
    try:
        header = next(records, None)
        if not header or not any(h.strip() for h in header):
            problem(1, None, _l("The file is empty: its first line must name the columns."))
            return [], problems
        line = 1
        positions = {}
        for index, name in enumerate(h.strip().lower() for h in header):
            if not name:
                continue
            if name not in {c.name for c in spec.columns}:
                problem(1, name, _l("Unknown column “%(column)s”. The columns are: %(allowed)s.", column=name,
                                    allowed=", ".join(c.name for c in spec.columns)))
            elif name in positions:
                problem(1, name, _l("The column “%(column)s” appears twice.", column=name))
            else:
                positions[name] = index
        for name in spec.required:
            if name not in positions:
                problem(1, name, _l("The required column “%(column)s” is missing.", column=name))
        if problems:
            return [], problems
        columns = [c for c in spec.columns if c.name in positions]
        rows, first_line = [], {}
        for line, cells in enumerate(records, start=2):
            if line > MAX_ROWS + 1:
                return [], [Problem(kind, filename, None, None, _l(
                    "The file has more than %(limit)d rows. Split it into smaller files.", limit=MAX_ROWS))]
            if not any(c.strip() for c in cells):
                continue  # blank rows, e.g. at the end of an Excel sheet
            for index, value in enumerate(cells):
                if value.strip() and index not in positions.values():
                    problem(line, None, _l("Column %(letter)s has a value but no column name in the first line.",
                                           letter=_column_letter(index)))
            values = {}
            for column in columns:
                index = positions[column.name]
                try:
                    values[column.name] = column.parse(_cell(cells[index]) if index < len(cells) else "")
                except BadValue as bad:
                    problem(line, column.name, bad.message)
            code = _cell(cells[positions["code"]]) if positions["code"] < len(cells) else ""
            if code and code in first_line:
                problem(line, "code", _l("The code “%(code)s” already appears on line %(line)d of this file.",
                                         code=code, line=first_line[code]))
            first_line.setdefault(code, line)
            rows.append(_Row(kind, filename, line, code, values))
    except csv.Error as error:
        problem(line + 1, None, _l("This is not a valid CSV file: %(error)s", error=str(error)))
        return [], problems
    return rows, problems


class _Registry:
    """What is in the database now, by code: ids, and each area's parent."""

    def __init__(self):
        self.ids, self.codes = {}, {}
        for kind, model in MODELS.items():
            pairs = db.session.execute(db.select(model.code, model.id)).all()
            self.ids[kind] = dict(pairs)
            self.codes[kind] = {id_: code for code, id_ in pairs}
        self.area_parent = {code: self.codes["areas"].get(parent_id)
                            for code, parent_id in db.session.execute(db.select(Area.code, Area.parent_id))}

    def load(self, kind, codes):
        """The existing records with these codes, by code."""
        model, codes, found = MODELS[kind], list(codes), {}
        for start in range(0, len(codes), 500):
            query = db.select(model).where(model.code.in_(codes[start:start + 500]))
            found.update((obj.code, obj) for obj in db.session.execute(query).scalars())
        return found


def _area_depths(parent):
    """Depth of each area in the tree ``parent`` (code -> parent code) describes, and the codes on a cycle."""
    depth, cycle, stuck = {}, set(), set()
    for start in parent:
        chain, on_chain, node = [], {}, start
        while node is not None and node not in depth and node not in stuck and node not in on_chain:
            on_chain[node] = len(chain)
            chain.append(node)
            node = parent.get(node)
        if node is not None and (node in on_chain or node in stuck):
            if node in on_chain:
                cycle.update(chain[on_chain[node]:])
            stuck.update(chain)
            continue
        level = -1 if node is None else depth[node]
        for code in reversed(chain):
            level += 1
            depth[code] = level
    return depth, cycle


def _check_upload(rows, registry, problems):
    """Problems that need the whole upload: unknown references and area cycles. Returns area depths."""
    defined = {kind: {row.code for row in rows.get(kind, [])} for kind in KINDS}
    messages = {"areas": lambda code: _l("No area has the code “%(code)s”, neither in this upload nor in the "
                                         "registry.", code=code),
                "units": lambda code: _l("No unit has the code “%(code)s”, neither in this upload nor in the "
                                         "registry.", code=code)}
    for kind, kind_rows in rows.items():
        for column in (c for c in SPECS[kind].columns if c.ref):
            for row in kind_rows:
                code = row.values.get(column.name)
                if code and code not in defined[column.ref] and code not in registry.ids[column.ref]:
                    problems.append(Problem(kind, row.file, row.line, column.name, messages[column.ref](code)))
    parent = dict(registry.area_parent)
    for row in rows.get("areas", []):
        if "parent_code" in row.values or row.code not in parent:
            parent[row.code] = row.values.get("parent_code")
    depth, cycle = _area_depths(parent)
    for row in rows.get("areas", []):
        if row.code in cycle:
            problems.append(Problem("areas", row.file, row.line, "parent_code", _l(
                "This parent would put the area under itself: following the parents leads back to “%(code)s”.",
                code=row.code)))
    return depth


def _plan(rows, registry, counts):
    """Work out what each row changes, comparing in codes (so a dry run can tell too), and count it."""
    for kind, kind_rows in rows.items():
        existing = registry.load(kind, [row.code for row in kind_rows])
        tally = counts[kind] = Counts()
        for row in kind_rows:
            row.obj = existing.get(row.code)
            if row.obj is None:
                row.changes = dict(row.values)
                tally.created += 1
                continue
            for name, value in row.values.items():
                column = SPECS[kind].column(name)
                current = getattr(row.obj, column.attr)
                if column.ref:
                    current = registry.codes[column.ref].get(current)
                if value != (None if current == "" else current):
                    row.changes[name] = value
            if row.changes:
                tally.updated += 1
            else:
                tally.unchanged += 1


def _save(row, data, actor):
    try:
        row.obj = save(row.obj or MODELS[row.kind](), data, actor)
    except RegistryError as error:
        error.row = row
        raise


def _write(rows, registry, depth, actor):
    """Save each new or changed row through the registry service, parents before children."""
    ids = registry.ids
    later = []  # areas whose territorial office is a unit this upload creates
    ordered = sorted(rows.get("areas", []), key=lambda r: (depth.get(r.code, 0), r.line))
    for row in ordered + rows.get("units", []) + rows.get("points", []):
        data = {}
        for name, value in row.changes.items():
            column = SPECS[row.kind].column(name)
            if column.ref and value is not None:
                if value not in ids[column.ref]:
                    later.append((row, column, value))
                    continue
                value = ids[column.ref][value]
            data[column.attr] = value
        if data or row.obj is None:
            _save(row, data, actor)
            ids[row.kind][row.obj.code] = row.obj.id
    for row, column, code in later:
        _save(row, {column.attr: ids[column.ref][code]}, actor)


def _summary(counts, filenames):
    parts = [f"{filenames[kind]}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
             for kind, c in counts.items()]
    return "; ".join(parts)


def import_registry(files, actor, dry_run=False, filenames=None):
    """Check an upload of areas/units/points CSV files together and, unless ``dry_run``, upsert it by code.

    ``files`` maps a kind ("areas", "units", "points") to the file's bytes (or text). Nothing is written when
    any problem is found; on any error while writing, the session is rolled back. The caller commits.
    """
    unknown = set(files) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds: {sorted(unknown)}")
    result = ImportResult(dry_run=dry_run)
    filenames = {kind: (filenames or {}).get(kind) or f"{kind}.csv" for kind in files}
    if not files:
        result.problems.append(Problem(None, None, None, None, _l("Choose at least one file to import.")))
        return result
    rows = {}
    for kind in (k for k in KINDS if k in files):
        rows[kind], problems = _read(kind, filenames[kind], files[kind])
        result.problems += problems
    registry = _Registry()
    depth = _check_upload(rows, registry, result.problems)
    result.problems.sort(key=Problem.sort_key)
    if result.problems:
        return result
    _plan(rows, registry, result.counts)
    if dry_run:
        return result
    try:
        _write(rows, registry, depth, actor)
        audit.record(actor, "import", object_type="import", summary=_summary(result.counts, filenames),
                     changes={kind: asdict(c) for kind, c in result.counts.items()})
        db.session.flush()
    except RegistryError as error:  # the checks above should prevent this; a concurrent edit may not
        db.session.rollback()
        row = getattr(error, "row", None)
        result.problems.append(Problem(row and row.kind, row and row.file, row and row.line, error.field,
                                       ERROR_MESSAGES.get(error.message, error.message)))
    except Exception:
        db.session.rollback()
        raise
    return result


def _export_value(column, obj, codes):
    value = getattr(obj, column.attr)
    if column.ref:
        value = codes[column.ref].get(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return value  # a number stays a number (a western longitude is no formula)
    return getattr(value, "value", value)  # portal.exports escapes text that looks like a formula


def export_rows(kind):
    """The header, then all records of one kind (active and inactive) ordered by code, for ``portal.exports``."""
    spec, model = SPECS[kind], MODELS[kind]
    codes = {ref: dict(db.session.execute(db.select(m.id, m.code)).all()) for ref, m in MODELS.items()}
    yield [c.name for c in spec.columns]
    for obj in db.session.execute(db.select(model).order_by(model.code)).scalars():
        yield [_export_value(column, obj, codes) for column in spec.columns]
