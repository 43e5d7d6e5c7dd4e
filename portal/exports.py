"""Every CSV and XLSX download is written here: cell escaping, encodings, streaming, file names and MIME types.

A cell is made safe once, whichever writer asks (after indico's ``util/spreadsheets.py``):

- Text that a spreadsheet would read as a formula (starting with ``= + - @``, a tab or a carriage return, or the
  fullwidth ``＝ ＋ － ＠`` that Excel and WPS also accept from a Chinese keyboard) is prefixed with ``'`` in CSV;
  in XLSX it is written as a string cell, which is never evaluated, so it keeps its text as typed.
- Real numbers (``int``, ``float``, ``Decimal``; not ``bool``) stay numbers in both, so sums still work; only text
  is escaped, so ``-1`` typed by a resident becomes ``'-1`` in CSV while a count of -1 stays -1.
- Control characters (NUL and the other C0 characters but tab, LF and CR) are removed: XLSX cannot hold them,
  and in CSV they only break the programs that read it.

CSV is UTF-8 with a BOM (so that Excel reads the Chinese right), or GB18030 when asked (``?encoding=gb18030``:
older Excel and WPS set up for GBK open it with a double click); characters GB18030 lacks cannot occur, as it
covers all of Unicode. A large CSV is streamed in chunks; XLSX uses openpyxl's write-only mode (rows are not
kept as cells).
File names may be Chinese: the header carries ``filename*=UTF-8''…`` (RFC 6266 / 5987) and an ASCII fallback.
"""
import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from werkzeug.http import dump_options_header

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIME = {"csv": CSV_MIME, "xlsx": XLSX_MIME}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
ENCODINGS = {"utf-8": "utf-8-sig", "gb18030": "gb18030"}  # what ?encoding= may ask for -> the codec written
DEFAULT_ENCODING = "utf-8-sig"
CHUNK_ROWS = 200
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_TITLE_MAX = 31
XLSX_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def is_number(value):
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def clean_text(value):
    """``value`` as text without the control characters that XLSX cannot hold."""
    return CONTROL.sub("", str(value))


def csv_value(value):
    """One CSV cell: numbers as they are, None as empty, a time to the minute, text cleaned and formula-escaped."""
    if value is None:
        return ""
    if is_number(value):
        return value
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    text = clean_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def unescape_csv(text):
    """A cell read back from one of our CSV files: the ``'`` put before formula-looking text is taken off."""
    return text[1:] if text[:1] == "'" and text[1:2] and text[1:].startswith(FORMULA_START) else text


def csv_encoding(asked):
    """The codec for a CSV download: UTF-8 with a BOM unless GB18030 is asked for by name; anything else ignored."""
    return ENCODINGS.get((asked or "").strip().lower().replace("_", "-"), DEFAULT_ENCODING)


def csv_chunks(rows, encoding=DEFAULT_ENCODING):
    """``rows`` (lists of values) as CSV bytes, a few hundred rows per chunk; the BOM (UTF-8) comes first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    if encoding == "utf-8-sig":
        yield "\ufeff".encode("utf-8")
    for count, row in enumerate(rows, 1):
        writer.writerow([csv_value(value) for value in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode(codec)
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode(codec)


def csv_bytes(rows, encoding=DEFAULT_ENCODING):
    return b"".join(csv_chunks(rows, encoding))


def xlsx_cell(sheet, value):
    """One write-only XLSX cell: numbers numeric, times as dates, everything else a string cell (never a formula)."""
    if value is None:
        return WriteOnlyCell(sheet, value="")
    if is_number(value):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATETIME_FORMAT
        return cell
    cell = WriteOnlyCell(sheet, value=clean_text(value))
    cell.data_type = "s"  # text stays text, even when it starts with "="
    return cell


def sheet_title(title):
    """A worksheet name Excel accepts: no ``[]:*?/\\``, at most 31 characters, never empty."""
    return XLSX_TITLE_FORBIDDEN.sub(" ", clean_text(title)).strip()[:XLSX_TITLE_MAX] or "Sheet1"


def xlsx_file(rows, title, widths=None, freeze=None):
    """``rows`` as an XLSX workbook of one sheet, written in write-only mode; returns a rewound in-memory file.

    ``widths`` gives column widths in characters; ``freeze`` a cell such as ``"A2"`` (the header stays in view).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    for index, width in enumerate(widths or (), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        sheet.freeze_panes = freeze
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    output = io.BytesIO()  # compressed, so even a year of cases is a few megabytes
    workbook.save(output)
    output.seek(0)
    return output


def content_disposition(filename, fallback=None):
    """``attachment`` with the file's name: ``filename*=UTF-8''…`` plus an ASCII name when it is not ASCII.

    ``fallback`` is the ASCII name for old clients (without one, the non-ASCII characters are dropped); it is also
    the name itself when the translated name is plain ASCII (English), so that one language has one name.
    """
    if fallback and filename.isascii():
        filename = fallback
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        simple = fallback or (filename.encode("ascii", "ignore").decode("ascii").strip(" -_") or "download")
        return dump_options_header("attachment", {"filename": simple,
                                                  "filename*": "UTF-8''" + quote(filename, safe="!#$&+-.^_`|~")})
    return dump_options_header("attachment", {"filename": filename})


def _response(body, mimetype, filename, fallback):
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename, fallback)
    return response


def send_csv(rows, filename, fallback=None, encoding=DEFAULT_ENCODING, stream=False):
    """A CSV download, written whole before the first byte (a failure is an error page, not a cut-off file), or
    with ``stream`` produced while it is sent, for a table too large to hold (the case ledger)."""
    mimetype = CSV_MIME if encoding == DEFAULT_ENCODING else f"{CSV_MIME}; charset={encoding}"
    body = stream_with_context(csv_chunks(rows, encoding)) if stream else csv_bytes(rows, encoding)
    return _response(body, mimetype, filename, fallback)


def send_xlsx(rows, filename, title, fallback=None, widths=None, freeze=None):
    return _response(xlsx_file(rows, title, widths, freeze).getvalue(), XLSX_MIME, filename, fallback)


def send_table(fmt, rows, name, title, fallback=None, encoding=DEFAULT_ENCODING, widths=None, freeze=None):
    """A download of ``rows`` as ``fmt`` ("csv" or "xlsx") named ``name.fmt`` (ASCII ``fallback.fmt`` alongside)."""
    fallback_name = f"{fallback}.{fmt}" if fallback else None
    if fmt == "csv":
        return send_csv(rows, f"{name}.csv", fallback_name, encoding)
    return send_xlsx(rows, f"{name}.xlsx", title, fallback_name, widths, freeze)
