"""The columns of the registry CSV files: which exist, what each accepts, and how a cell is parsed."""
import math
from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l

from portal.registry.forms import CODE_RULE
from portal.registry.models import AreaLevel, PointKind, UnitKind

# The labels people use in Chinese spreadsheets, besides the stored values.
LEVEL_ALIASES = {"市": AreaLevel.CITY, "区": AreaLevel.DISTRICT, "县": AreaLevel.DISTRICT, "街道": AreaLevel.STREET,
                 "乡镇": AreaLevel.STREET, "社区": AreaLevel.COMMUNITY, "村": AreaLevel.COMMUNITY,
                 "网格": AreaLevel.GRID}
TRUE_WORDS = {"1", "true", "yes", "是"}
FALSE_WORDS = {"0", "false", "no", "否"}


class BadValue(Exception):
    """A cell value that cannot be used; ``message`` is a lazy string."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _text(max_length, required=False):
    def parse(raw):
        if not raw:
            if required:
                raise BadValue(_l("A value is required."))
            return None
        if len(raw) > max_length:
            raise BadValue(_l("Too long: %(length)d characters, at most %(max)d allowed.", length=len(raw),
                          max=max_length))
        return raw

    return parse


def _code(raw):
    value = _text(40, required=True)(raw)
    if not CODE_RULE.regex.match(value):
        raise BadValue(CODE_RULE.message)
    return value


def _reference(required=False):
    def parse(raw):
        if not raw and required:
            raise BadValue(_l("A value is required."))
        return raw or None  # whether the code exists is checked once the whole upload is read

    return parse


def _choice(enum_cls, aliases=None):
    lookup = {m.value: m for m in enum_cls}
    lookup.update(aliases or {})

    def parse(raw):
        if not raw:
            raise BadValue(_l("A value is required."))
        member = lookup.get(raw.lower())
        if member is None:
            raise BadValue(_l("Unknown value “%(value)s”. Use one of: %(allowed)s.", value=raw,
                          allowed=", ".join(lookup)))
        return member

    parse.allowed = tuple(lookup)  # shown on the import page
    return parse


def _flag(raw):
    word = raw.lower()
    if not word or word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadValue(_l("Not a yes/no value: “%(value)s”. Use 1/0, true/false, yes/no or 是/否.", value=raw))


def _coordinate(limit, out_of_range):
    def parse(raw):
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise BadValue(_l("Not a number: “%(value)s”.", value=raw)) from None
        if not math.isfinite(value) or abs(value) > limit:
            raise BadValue(out_of_range)
        return value

    return parse


@dataclass(frozen=True)
class Column:
    name: str
    attr: str
    parse: Callable
    ref: str | None = None  # the kind whose code this column holds


@dataclass(frozen=True)
class Spec:
    columns: tuple
    required: tuple  # columns the header must have

    def column(self, name):
        return next(c for c in self.columns if c.name == name)


def _named(*middle):
    return (Column("code", "code", _code), Column("name", "name", _text(200, required=True)),
            Column("name_zh_hant", "name_zh_hant", _text(200)), Column("name_en", "name_en", _text(200)),
            *middle, Column("active", "active", _flag))


SPECS = {
    "areas": Spec(_named(Column("level", "level", _choice(AreaLevel, LEVEL_ALIASES)),
                         Column("parent_code", "parent_id", _reference(), ref="areas"),
                         Column("office_unit_code", "office_unit_id", _reference(), ref="units")),
                  required=("code", "name", "level")),
    "units": Spec(_named(Column("kind", "kind", _choice(UnitKind)),
                         Column("area_code", "area_id", _reference(), ref="areas"),
                         Column("contact_name", "contact_name", _text(100)),
                         Column("contact_phone", "contact_phone", _text(40))),
                  required=("code", "name", "kind")),
    "points": Spec(_named(Column("kind", "kind", _choice(PointKind)),
                          Column("area_code", "area_id", _reference(required=True), ref="areas"),
                          Column("owner_unit_code", "owner_unit_id", _reference(), ref="units"),
                          Column("address", "address", _text(300)),
                          Column("latitude", "latitude",
                                 _coordinate(90, _l("Latitude must be between -90 and 90."))),
                          Column("longitude", "longitude",
                                 _coordinate(180, _l("Longitude must be between -180 and 180.")))),
                   required=("code", "name", "kind", "area_code")),
}
