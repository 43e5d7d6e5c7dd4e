"""Statements of the hot paths compiled once per dialect and run on the driver's cursor.

Through SQLAlchemy a Core statement costs about 65 Python calls before the driver sees it (its cache key, the
compiled cache, an execution context, parameter processing, a result object): more than the database's own work for
a one-row INSERT or a lookup by a unique key. A ``Prepared`` statement is compiled once per dialect (and, for an
INSERT or UPDATE, per set of columns given) and then runs on the session connection's DBAPI cursor, in the same
transaction. What SQLAlchemy does around it is done here the same way:

- parameters go through the column types' bind processors (enums to their names or values, datetimes to SQLite's
  text, JSON to text, booleans), with the statement's own bound values (``.values(x=1)``) filled in;
- a Python-side column default (``default=utcnow``, ``default=False``) of a column not given is computed;
- result rows go through the selected columns' result processors (text to enums, datetimes, JSON);
- the engine's ``before_cursor_execute``/``after_cursor_execute`` listeners are called (statement counters; with no
  execution context, and a listener's return value is not used);
- a driver error is raised as SQLAlchemy's exception (IntegrityError, OperationalError, ...); a lost connection is
  invalidated, as SQLAlchemy does.

tests/portal/test_prepared.py compares each statement's rows and stored values with SQLAlchemy's own execution.
Only plain statements: no expanding IN, no SQL-expression or sequence defaults (compiling one refuses it).
"""
from dataclasses import dataclass
from threading import Lock

from flask import current_app
from sqlalchemy import exc
from sqlalchemy.sql.elements import TextClause

from portal.extensions import db
from portal.sqlite import has_plain_reader, plain_read


@dataclass
class _Compiled:
    sql: str
    positions: tuple | None  # bind names in placeholder order (positional drivers), else None (named)
    escaped: dict  # bind name -> its name in the SQL (named drivers)
    processors: dict  # bind name -> the type's bind processor
    defaults: tuple  # (bind name, column default) computed here for columns not given
    types: tuple  # the selected (or returned) columns' types for this dialect; () for text()
    binds: dict  # bind name -> value of the statement's own bound values
    results: object = None  # (column index, result processor) pairs, from the first cursor's description


class Prepared:
    """A Core statement (select, insert, update, or ``text()``) run on the DBAPI cursor, compiled once per dialect
    and set of given columns. ``execute(values)`` runs it on ``db.session``'s connection and returns a
    ``PreparedResult``."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled = {}
        self._lock = Lock()

    def _for(self, dialect, keys):
        key = (type(dialect), dialect.paramstyle, dialect.server_version_info, keys)  # what the SQL depends on
        found = self._compiled.get(key)
        if found is None:
            found = self._compile(dialect, keys)
            with self._lock:
                self._compiled[key] = found
        return found

    def _compile(self, dialect, keys):
        statement = self.statement
        is_dml = getattr(statement, "is_dml", False)
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if is_dml else None)
        binds = compiled.binds
        if any(bind.expanding for bind in binds.values()):
            raise ValueError("Prepared statements take no expanding IN parameters")
        processors = {}
        for name, bind in binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        defaults = []
        for column in (*getattr(compiled, "insert_prefetch", ()), *getattr(compiled, "update_prefetch", ())):
            default = column.default if column in getattr(compiled, "insert_prefetch", ()) else column.onupdate
            if default is None or not (default.is_scalar or default.is_callable):
                raise ValueError(f"Prepared statements compute only plain Python defaults ({column})")
            defaults.append((column.key, default))
        own = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        return _Compiled(
            sql=compiled.string,
            positions=tuple(compiled.positiontup) if compiled.positional else None,
            escaped=dict(compiled.escaped_bind_names or {}),
            processors=processors, defaults=tuple(defaults), types=self._result_types(dialect), binds=own)

    def _result_types(self, dialect):
        statement = self.statement
        if isinstance(statement, TextClause):
            return ()  # text(): rows as the driver gives them
        if getattr(statement, "is_dml", False):
            columns = tuple(getattr(statement, "_returning", None) or ())
        else:
            columns = tuple(statement.selected_columns)
        return tuple(column.type.dialect_impl(dialect) for column in columns)

    def _parameters(self, dialect, values):
        compiled = self._for(dialect, tuple(values) if getattr(self.statement, "is_dml", False) else ())
        params = dict(compiled.binds, **values) if compiled.binds else dict(values)
        for name, default in compiled.defaults:
            params[name] = default.arg if default.is_scalar else default.arg(None)
        for name, processor in compiled.processors.items():
            if name in params:
                params[name] = processor(params[name])
        if compiled.positions is not None:
            return compiled, tuple(params[name] for name in compiled.positions)
        if compiled.escaped:
            return compiled, {compiled.escaped.get(name, name): value for name, value in params.items()}
        return compiled, params

    def execute(self, values=None, connection=None):
        """Run on ``connection`` (default: the session's), in its transaction; returns a PreparedResult."""
        connection = connection if connection is not None else db.session.connection()
        dialect = connection.dialect
        compiled, parameters = self._parameters(dialect, values or {})
        dbapi_connection = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor()
        dispatch = connection.dispatch
        if dispatch.before_cursor_execute:
            for listener in dispatch.before_cursor_execute:
                listener(connection, cursor, compiled.sql, parameters, None, False)
        try:
            cursor.execute(compiled.sql, parameters)
        except dialect.loaded_dbapi.Error as error:
            cursor.close()
            raise _wrapped(connection, dialect, dbapi_connection, compiled.sql, parameters, error) from error
        if dispatch.after_cursor_execute:
            for listener in dispatch.after_cursor_execute:
                listener(connection, cursor, compiled.sql, parameters, None, False)
        return _result(compiled, dialect, cursor)

    def read(self, values=None):
        """A read that needs no transaction of the request's: on a SQLite file, on the thread's own plain connection
        (``portal.sqlite.plain_read``: it sees the latest commit, not the session's uncommitted work, and the request
        never checks a connection out of the pool); elsewhere ``execute`` on the session's connection. Statement
        listeners are not called on the plain connection (as for the board's generation read)."""
        engine = db.engine
        if not has_plain_reader(engine):
            return self.execute(values)
        dialect = engine.dialect
        compiled, parameters = self._parameters(dialect, values or {})

        def run(connection):
            try:
                cursor = connection.execute(compiled.sql, parameters)
            except dialect.loaded_dbapi.Error as error:
                raise exc.DBAPIError.instance(compiled.sql, parameters, error, dialect.loaded_dbapi.Error,
                                              dialect=dialect) from error
            return _result(compiled, dialect, cursor)

        return plain_read(current_app._get_current_object(), engine, run)


def _result(compiled, dialect, cursor):
    if compiled.results is None:
        compiled.results = _result_processors(compiled.types, dialect, cursor.description)
    return PreparedResult(cursor, compiled.results or None)


def _result_processors(types, dialect, description):
    """(column index, result processor) of the columns that have one, given the driver's type codes (as SQLAlchemy
    asks them); () when none has."""
    if not types or description is None:
        return ()
    return tuple((index, processor) for index, (kind, column) in enumerate(zip(types, description, strict=True))
                 if (processor := kind.result_processor(dialect, column[1])) is not None)


def _wrapped(connection, dialect, dbapi_connection, sql, parameters, error):
    disconnected = dialect.is_disconnect(error, dbapi_connection, None)
    if disconnected:
        connection.invalidate(error)
    return exc.DBAPIError.instance(sql, parameters, error, dialect.loaded_dbapi.Error,
                                   connection_invalidated=disconnected, dialect=dialect)


class PreparedResult:
    """The rows of a Prepared statement (tuples, through the result processors), read at once; ``rowcount``."""

    def __init__(self, cursor, processors):
        try:
            self.rowcount = cursor.rowcount
            rows = cursor.fetchall() if cursor.description is not None else []
        finally:
            cursor.close()
        if processors is not None:
            processed = []
            for row in rows:
                row = list(row)
                for index, process in processors:
                    row[index] = process(row[index])
                processed.append(tuple(row))
            rows = processed
        self.rows = rows

    def first(self):
        return self.rows[0] if self.rows else None

    def all(self):
        return list(self.rows)

    def scalar(self):
        return self.rows[0][0] if self.rows else None

    def scalar_one(self):
        if len(self.rows) != 1:
            raise exc.NoResultFound("No row was found") if not self.rows else exc.MultipleResultsFound(
                "Multiple rows were found")
        return self.rows[0][0]
