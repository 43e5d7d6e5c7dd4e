"""Every scorecard table as a CSV or XLSX download (written by ``portal.exports``), with a title line on top."""
from flask_babel import gettext as _

from oversight.scorecards import tables
from portal import exports


def table_lines(rows, by, period):
    """A title line (what and when), then the table."""
    name_label = {"unit": _("Unit"), "area": _("Area"), "category": _("Category"), "city": _("City")}[by]
    return [[period.label, period.key]] + tables.export_rows(rows, by, name_label)


def download(rows, by, fmt, name, period, encoding=exports.DEFAULT_ENCODING):
    lines = table_lines(rows, by, period)
    filename = f"scorecard-{name}-{period.key.replace(':', '_')}"
    return exports.send_table(fmt, lines, filename, period.key.replace(":", " "), encoding=encoding)
