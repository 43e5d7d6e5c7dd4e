"""Every scorecard table as CSV (UTF-8 with a BOM, so that Excel reads the Chinese right) or XLSX."""
import csv
import io

from flask import send_file
from flask_babel import gettext as _
from openpyxl import Workbook

from portal.scorecards import tables

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_file(lines):
    output = io.BytesIO()
    text = io.TextIOWrapper(output, encoding="utf-8-sig", newline="")
    csv.writer(text).writerows(["" if value is None else value for value in line] for line in lines)
    text.flush()
    text.detach()
    output.seek(0)
    return output


def xlsx_file(lines, title):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for line in lines:
        sheet.append(line)
    output = io.BytesIO()
    workbook.save(output)
    output.seek(0)
    return output


def table_lines(rows, by, period):
    """A title line (what and when), then the table."""
    name_label = {"unit": _("Unit"), "area": _("Area"), "category": _("Category"), "city": _("City")}[by]
    return [[period.label, period.key]] + tables.export_rows(rows, by, name_label)


def download(rows, by, fmt, name, period):
    lines = table_lines(rows, by, period)
    filename = f"scorecard-{name}-{period.key.replace(':', '_')}.{fmt}"
    if fmt == "csv":
        return send_file(csv_file(lines), mimetype="text/csv", as_attachment=True, download_name=filename)
    return send_file(xlsx_file(lines, period.key.replace(":", " ")), mimetype=XLSX, as_attachment=True,
                     download_name=filename)
