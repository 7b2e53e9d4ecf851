"""What one migration statement does to the schema and its rows, read from its SQL.

The migration files hold plain SQL, one statement per entry, in the small set of
forms a schema change needs (CREATE/DROP TABLE and INDEX, ALTER TABLE ADD/DROP/
RENAME, INSERT, UPDATE, DELETE). `parse` reads one statement into an `Op`: which
table, which columns, the copy's source and column lists, a DELETE's condition.
It is a statement-level reader, not a SQL parser: a form it does not know is
`Op("unknown")`, and the test that walks every migration file fails on it, so a new
kind of statement gets taught here before it ships.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_IDENT = r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_]*)'
_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "FOREIGN", "UNIQUE", "CHECK", "EXCLUDE"}


@dataclass(frozen=True)
class Op:
    """One statement, as far as rows and columns are concerned."""

    kind: str  # create_table, create_index, create_trigger, create_function, drop_trigger, drop_function, drop_index, drop_table, add_column, drop_column, rename_table,
    #            rename_column, alter_type, set_not_null, alter_neutral, insert_copy, insert_new, update, delete, unknown
    sql: str
    table: str = ""
    column: str = ""  # add/drop/rename column: the column; rename_table: the new name
    new_name: str = ""  # rename_column: the new name
    columns: tuple[str, ...] = ()  # create_table: its columns; insert_copy: the target columns ('*': all, in order)
    source: str = ""  # insert_copy: the table copied from
    source_columns: tuple[str, ...] = ()  # insert_copy: the columns read, one per target column ('*': all)
    where: str | None = None  # delete, insert_copy: the condition (None: every row)
    not_null_without_default: bool = False  # add_column
    notes: list[str] = field(default_factory=list, compare=False)


def name(raw: str) -> str:
    """An identifier as the catalogs spell it (quotes removed, unquoted ones in lower case)."""
    raw = raw.strip()
    if raw.startswith('"') and raw.endswith('"'):
        return raw[1:-1]
    return raw.lower()


def normalise(sql: str) -> str:
    """One line, comments removed, whitespace collapsed (quoted text kept as written)."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'":
            j = i + 1
            while j < n:
                if sql[j] == "'" and (j + 1 >= n or sql[j + 1] != "'"):
                    break
                j += 2 if sql[j] == "'" else 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif c.isspace():
            out.append(" ")
            while i < n and sql[i].isspace():
                i += 1
        else:
            out.append(c)
            i += 1
    return re.sub(r" +", " ", "".join(out)).strip().rstrip(";").strip()


def _top_level(text: str, start: int = 0) -> Iterator[int]:
    """The indexes of `text` (from `start`) outside parentheses and quotes."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0:
            yield i


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside parentheses and quotes."""
    parts, start = [], 0
    for i in _top_level(text):
        if text.startswith(sep, i):
            parts.append(text[start:i].strip())
            start = i + len(sep)
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def find_top(text: str, keyword: str, start: int = 0) -> int:
    """Index of `keyword` (a whole word, any case) outside parentheses and quotes; -1 if absent."""
    pattern = re.compile(rf"\b{keyword}\b", re.IGNORECASE)
    for i in _top_level(text, start):
        if (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and pattern.match(text, i):
            return i
    return -1


def _body(text: str) -> str:
    """The text inside the first pair of parentheses (balanced)."""
    open_at = text.index("(")
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[open_at + 1:i]
    raise ValueError("unbalanced parentheses")


def _table_columns(body: str) -> tuple[str, ...]:
    cols = []
    for item in split_top(body):
        first = item.split(" ", 1)[0]
        if first.upper() not in _CONSTRAINT_WORDS:
            cols.append(name(first))
    return tuple(cols)


def _plain_column(expr: str) -> str | None:
    """`col`, `alias.col` or `col AS col` -> the column; anything else (an expression) -> None."""
    m = re.fullmatch(rf"(?:{_IDENT}\.)?({_IDENT})(?: AS {_IDENT})?", expr.strip(), re.IGNORECASE)
    if m is None:
        return None
    alias = re.search(rf" AS ({_IDENT})$", expr.strip(), re.IGNORECASE)
    if alias and name(alias.group(1)) != name(m.group(1)):
        return None  # renamed on the way: an expression as far as the copy is concerned
    return name(m.group(1))


def _insert(sql: str) -> Op:
    m = re.match(rf"INSERT INTO ({_IDENT}) ?(\((?:[^()]*)\))? ?(.*)$", sql, re.IGNORECASE | re.DOTALL)
    if m is None:
        return Op("unknown", sql)
    table = name(m.group(1))
    target = tuple(name(c) for c in split_top(m.group(2)[1:-1])) if m.group(2) else ("*",)
    rest = m.group(3).strip()
    if not re.match(r"SELECT\b", rest, re.IGNORECASE):
        return Op("insert_new", sql, table)  # VALUES, or a WITH ... SELECT that makes rows up
    frm = find_top(rest, "FROM")
    if frm < 0:
        return Op("insert_new", sql, table)
    select_list = split_top(rest[len("SELECT"):frm])
    after = rest[frm + len("FROM"):].strip()
    src = re.match(rf"({_IDENT})(?: (?:AS )?(?!WHERE\b|ORDER\b|GROUP\b|JOIN\b|LEFT\b|INNER\b|LIMIT\b)({_IDENT}))?(.*)$",
                   after, re.IGNORECASE | re.DOTALL)
    if src is None:
        return Op("insert_new", sql, table)
    tail = src.group(3).strip()
    where = None
    if tail:
        if re.match(r"(?:JOIN|LEFT|INNER|CROSS|,|GROUP|UNION)\b", tail, re.IGNORECASE) or find_top(tail, "UNION") >= 0:
            return Op("insert_new", sql, table)  # rows made from several tables: new rows, not a copy
        if re.match(r"WHERE\b", tail, re.IGNORECASE):
            end = min([i for i in (find_top(tail, "ORDER"), find_top(tail, "LIMIT")) if i >= 0] or [len(tail)])
            where = tail[len("WHERE"):end].strip()
        elif not re.match(r"ORDER BY\b", tail, re.IGNORECASE):
            return Op("insert_new", sql, table)
    if select_list == ["*"]:
        source_columns: tuple[str, ...] = ("*",)
    else:
        plain = [_plain_column(e) for e in select_list]
        if any(p is None for p in plain) or (target != ("*",) and len(plain) != len(target)):
            return Op("insert_new", sql, table)  # computed values: the rows are derived, not copied
        source_columns = tuple(p for p in plain if p is not None)
    return Op("insert_copy", sql, table, columns=target, source=name(src.group(1)), source_columns=source_columns, where=where)


def _alter(sql: str) -> Op:
    m = re.match(rf"ALTER TABLE (?:IF EXISTS )?(?:ONLY )?({_IDENT}) (.*)$", sql, re.IGNORECASE | re.DOTALL)
    if m is None:
        return Op("unknown", sql)
    table, action = name(m.group(1)), m.group(2).strip()
    if r := re.fullmatch(rf"RENAME TO ({_IDENT})", action, re.IGNORECASE):
        return Op("rename_table", sql, table, column=name(r.group(1)))
    if r := re.fullmatch(rf"RENAME (?:COLUMN )?({_IDENT}) TO ({_IDENT})", action, re.IGNORECASE):
        return Op("rename_column", sql, table, column=name(r.group(1)), new_name=name(r.group(2)))
    if r := re.fullmatch(rf"ADD (?:COLUMN )?(?:IF NOT EXISTS )?({_IDENT})(.*)", action, re.IGNORECASE | re.DOTALL):
        if r.group(1).upper() in _CONSTRAINT_WORDS:
            return Op("unknown", sql, table)  # ADD CONSTRAINT: not a form the migrations use yet
        decl = r.group(2).upper()
        strict = "NOT NULL" in decl and "DEFAULT" not in decl and "GENERATED" not in decl
        return Op("add_column", sql, table, column=name(r.group(1)), not_null_without_default=strict)
    if r := re.fullmatch(rf"DROP (?:COLUMN )?(?:IF EXISTS )?({_IDENT})(?: CASCADE| RESTRICT)?", action, re.IGNORECASE):
        if r.group(1).upper() not in _CONSTRAINT_WORDS:
            return Op("drop_column", sql, table, column=name(r.group(1)))
    if r := re.fullmatch(rf"ALTER (?:COLUMN )?({_IDENT}) (.*)", action, re.IGNORECASE | re.DOTALL):
        col, what = name(r.group(1)), r.group(2).strip().upper()
        if what.startswith(("TYPE ", "SET DATA TYPE ")):
            return Op("alter_type", sql, table, column=col)
        if what == "SET NOT NULL":
            return Op("set_not_null", sql, table, column=col)
        if what in ("DROP NOT NULL", "DROP DEFAULT") or what.startswith("SET DEFAULT "):
            return Op("alter_neutral", sql, table, column=col)
    return Op("unknown", sql, table)


def parse(statement: str) -> Op:
    """Read one statement (see the module's docstring)."""
    sql = normalise(statement)
    head = sql.upper()
    if m := re.match(rf"CREATE TABLE (?:IF NOT EXISTS )?({_IDENT}) ?\(", sql, re.IGNORECASE):
        return Op("create_table", sql, name(m.group(1)), columns=_table_columns(_body(sql)))
    if m := re.match(rf"CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?{_IDENT} ON (?:ONLY )?({_IDENT})",
                     sql, re.IGNORECASE):
        return Op("create_index", sql, name(m.group(1)))
    if re.fullmatch(rf"DROP INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?{_IDENT}(?: CASCADE| RESTRICT)?", sql, re.IGNORECASE):
        return Op("drop_index", sql)
    if m := re.fullmatch(rf"DROP TABLE (?:IF EXISTS )?({_IDENT})(?: CASCADE| RESTRICT)?", sql, re.IGNORECASE):
        return Op("drop_table", sql, name(m.group(1)))
    # A guard: a trigger that only refuses a change (SQLite: RAISE; PostgreSQL: a function that only
    # raises). It holds no data and changes none; any other trigger body stays unknown.
    if m := re.fullmatch(rf"CREATE TRIGGER {_IDENT} BEFORE (?:UPDATE|DELETE|INSERT|TRUNCATE)(?: OR (?:UPDATE|DELETE|INSERT))* "
                         rf"ON ({_IDENT}) FOR EACH (?:ROW|STATEMENT)(?: WHEN \(?[^;]*?\)?)? "
                         rf"(?:BEGIN SELECT RAISE\((?:ABORT|FAIL|ROLLBACK), '[^']*'\); END|EXECUTE FUNCTION {_IDENT}\(\))",
                         sql, re.IGNORECASE):
        return Op("create_trigger", sql, name(m.group(1)))
    if re.fullmatch(rf"CREATE FUNCTION {_IDENT}\(\) RETURNS trigger LANGUAGE plpgsql AS "
                    r"\$\$ BEGIN RAISE EXCEPTION '[^']*'(?:, [A-Z_]+)*; END \$\$", sql, re.IGNORECASE):
        return Op("create_function", sql)
    if re.fullmatch(rf"DROP TRIGGER (?:IF EXISTS )?{_IDENT}(?: ON {_IDENT})?", sql, re.IGNORECASE):
        return Op("drop_trigger", sql)
    if re.fullmatch(rf"DROP FUNCTION (?:IF EXISTS )?{_IDENT} ?\(\)", sql, re.IGNORECASE):
        return Op("drop_function", sql)
    if head.startswith("ALTER TABLE "):
        return _alter(sql)
    if head.startswith("INSERT INTO "):
        return _insert(sql)
    if m := re.match(rf"UPDATE ({_IDENT}) SET ", sql, re.IGNORECASE):
        return Op("update", sql, name(m.group(1)))
    if m := re.match(rf"DELETE FROM ({_IDENT})(?: WHERE (.*))?$", sql, re.IGNORECASE | re.DOTALL):
        return Op("delete", sql, name(m.group(1)), where=m.group(2))
    return Op("unknown", sql)
