"""Sources beyond one file: a glob of daily files, an Excel sheet, PostgreSQL,
MySQL (a real MariaDB) and SQLite tables and queries. Every row loaded or rejected, located by file and row or
by table and key; bad credentials or a missing table stop the run before loading."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver import store
from resolver.errors import ContractError
from resolver.ingest.contracts import load_contracts
from resolver.ingest.load import ingest

CUSTOMER = """\
system: crm
object: customer
{source}
id: ID
fields: {{first_name: First, last_name: Last, email: Email, updated_at: Changed}}
required: [last_name]
parse: {{date_format: "%m/%d/%Y"}}
"""
HEADER = "ID,First,Last,Email,Changed\n"


def _setup(tmp_path: Path, source: str) -> Path:
    (tmp_path / "sources").mkdir(exist_ok=True)
    (tmp_path / "sources" / "crm.yaml").write_text(CUSTOMER.format(source=source))
    return tmp_path


def _ingest(folder: Path):
    con = store.connect(folder / "store.duckdb", create=True)
    try:
        (load,) = ingest(con, load_contracts(folder, data_dir=folder))
        records = con.execute(
            "SELECT source_id, source_file, source_row, last_name, email, updated_at "
            "FROM customers ORDER BY source_id"
        ).df()
        rejects = con.execute("SELECT * FROM rejects ORDER BY source_file, source_row").df()
    finally:
        con.close()
    assert load.rows_read == load.rows_loaded + load.rows_rejected
    return load, records, rejects


def _problems(folder: Path) -> list[str]:
    with pytest.raises(ContractError) as err:
        load_contracts(folder, data_dir=folder)
    return [str(p) for p in err.value.problems]


# ---------------------------------------------------------------- globs


def test_a_glob_of_daily_files_is_one_source_located_by_file_and_row(tmp_path: Path) -> None:
    folder = _setup(tmp_path, "file: exports/contacts-*.csv")
    (tmp_path / "exports").mkdir()
    days = {
        "contacts-2024-03-01.csv": "1,Ann,Lee,ann@x.com,03/01/2024\n2,Bo,Ng,bo@x.com,03/01/2024\n",
        "contacts-2024-03-02.csv": "3,Cy,Oh,cy@x.com,03/02/2024\n4,Di,,di@x.com,03/02/2024\n",
        "contacts-2024-03-03.csv": "5,Ed,Po,ed@x.com,03/03/2024\n",
    }
    for name, rows in days.items():
        (tmp_path / "exports" / name).write_text(HEADER + rows)
    (tmp_path / "exports" / "other.csv").write_text(HEADER + "9,No,Pe,no@x.com,03/03/2024\n")
    load, records, rejects = _ingest(folder)
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (5, 4, 1)
    where = {r.source_id: (Path(r.source_file).name, r.source_row) for r in records.itertuples()}
    assert where == {
        "1": ("contacts-2024-03-01.csv", 1),
        "2": ("contacts-2024-03-01.csv", 2),
        "3": ("contacts-2024-03-02.csv", 1),
        "5": ("contacts-2024-03-03.csv", 1),
    }
    (reject,) = rejects.itertuples()
    assert Path(reject.source_file).name == "contacts-2024-03-02.csv" and reject.source_row == 2
    assert "contacts-2024-03-02.csv: row 2: column 'Last'" in reject.reason


def test_a_glob_matching_nothing_or_lacking_a_column_is_refused(tmp_path: Path) -> None:
    folder = _setup(tmp_path, "file: exports/contacts-*.csv")
    (tmp_path / "exports").mkdir()
    assert any("contacts-*.csv matches no file" in p for p in _problems(folder))
    (tmp_path / "exports" / "contacts-1.csv").write_text(HEADER + "1,A,B,a@x.com,03/01/2024\n")
    (tmp_path / "exports" / "contacts-2.csv").write_text("ID,First,Last,Changed\n")
    assert any("column 'Email' not in contacts-2.csv" in p for p in _problems(folder))


# ---------------------------------------------------------------- Excel


def _workbook(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    ws = wb.create_sheet("Contacts")
    ws.append(["ID", "First", "Last", "Email", "Changed"])
    ws.append([1001, "Ann", "Lee", "ann@x.com", dt.datetime(2024, 3, 1)])
    ws.append([1002.0, "Bo", None, "bo@x.com", dt.datetime(2024, 3, 2)])
    ws.append([None, None, None, None, None])  # an empty row is no row
    ws.append([1003, " Cy ", "Oh", "cy@x.com", "03/04/2024"])
    ws.append([1004, "Di", "Po", "di@x.com", None, "stray"])
    wb.save(path)


def test_an_excel_sheet_loads_as_text_each_row_located_by_sheet_and_row(tmp_path: Path) -> None:
    folder = _setup(tmp_path, "file: book.xlsx\nsheet: Contacts")
    _workbook(tmp_path / "book.xlsx")
    load, records, rejects = _ingest(folder)
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (4, 2, 2)
    assert list(records["source_id"]) == ["1001", "1003"]  # a whole number has no ".0"
    assert records["updated_at"].astype(str).tolist() == ["2024-03-01", "2024-03-04"]
    assert set(records["source_file"]) == {f"{tmp_path / 'book.xlsx'}[Contacts]"}
    by_row = rejects.set_index("source_row")["reason"]
    assert "book.xlsx[Contacts]: row 2: column 'Last'" in by_row[2]
    assert "row 4" in by_row[4] and "right of the header" in by_row[4]


def test_an_excel_source_must_name_a_sheet_it_has(tmp_path: Path) -> None:
    _workbook(tmp_path / "book.xlsx")
    folder = _setup(tmp_path, "file: book.xlsx\nsheet: Customers")
    assert any("no sheet 'Customers'; its sheets: Notes, Contacts" in p for p in _problems(folder))


# ---------------------------------------------------------------- PostgreSQL

PG_ROWS = (
    "CREATE SCHEMA IF NOT EXISTS crm; DROP TABLE IF EXISTS crm.contacts; "
    'CREATE TABLE crm.contacts ("ID" integer PRIMARY KEY, "First" text, "Last" text, '
    '"Email" varchar(80), "Changed" date, balance numeric(10,2)); '
    "INSERT INTO crm.contacts VALUES "
    "(3, 'Cy', 'Oh', 'cy@x.com', '2024-03-03', 1.50), "
    "(1, 'Ann', 'Lee', 'ann@x.com', '2024-03-01', NULL), "
    "(2, 'Bo', NULL, 'bo@x.com', NULL, 2.00)"
)


def test_a_postgresql_table_loads_each_row_located_by_table_and_key(
    pg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg.psql(PG_ROWS)
    monkeypatch.setenv("CRM_DB_URL", pg.url())
    folder = _setup(
        tmp_path, "database: {driver: postgresql, url_env: CRM_DB_URL, table: crm.contacts}"
    )
    load, records, rejects = _ingest(folder)
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (3, 2, 1)
    assert load.file == "postgresql:crm.contacts"
    assert list(records["source_id"]) == ["1", "3"]
    assert records["updated_at"].astype(str).tolist() == ["2024-03-01", "2024-03-03"]
    (reject,) = rejects.itertuples()
    assert reject.source_id == "2"
    assert reject.reason.startswith("postgresql:crm.contacts: key 2: column 'Last'")


def test_a_postgresql_query_is_a_source(pg, tmp_path: Path, monkeypatch) -> None:
    pg.psql(PG_ROWS)
    monkeypatch.setenv("CRM_DB_URL", pg.url())
    query = """SELECT "ID", "First", "Last", lower("Email") AS "Email", "Changed" FROM crm.contacts WHERE "Last" IS NOT NULL"""
    folder = _setup(
        tmp_path, f"database:\n  driver: postgresql\n  url_env: CRM_DB_URL\n  query: '{query}'"
    )
    load, records, _ = _ingest(folder)
    assert (load.rows_read, load.rows_loaded) == (2, 2)
    assert load.file == "postgresql:query"
    assert list(records["email"]) == ["ann@x.com", "cy@x.com"]


def test_bad_credentials_or_a_missing_table_stop_before_loading(
    pg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg.psql(PG_ROWS)
    folder = _setup(
        tmp_path, "database: {driver: postgresql, url_env: CRM_DB_URL, table: crm.contacts}"
    )
    contract = str(folder / "sources" / "crm.yaml")
    monkeypatch.delenv("CRM_DB_URL", raising=False)
    (problem,) = _problems(folder)
    assert problem.startswith(contract) and "CRM_DB_URL is not set" in problem
    monkeypatch.setenv("CRM_DB_URL", pg.url(password="wrong-pw"))
    (problem,) = _problems(folder)
    assert problem.startswith(f"{contract}: database: cannot read postgresql:crm.contacts")
    assert "password authentication failed" in problem and "wrong-pw" not in problem
    monkeypatch.setenv("CRM_DB_URL", pg.url())
    (folder / "sources" / "crm.yaml").write_text(
        CUSTOMER.format(
            source="database: {driver: postgresql, url_env: CRM_DB_URL, table: crm.nope}"
        )
    )
    (problem,) = _problems(folder)
    assert "crm.nope" in problem and "does not exist" in problem
    assert not (folder / "store.duckdb").exists()


def test_credentials_are_never_in_the_contract(tmp_path: Path) -> None:
    folder = _setup(
        tmp_path,
        "database: {driver: postgresql, url: 'postgresql://u:p@h/db', table: contacts}",
    )
    problems = _problems(folder)
    assert any("database.url: credentials never go in a contract" in p for p in problems)


# ---------------------------------------------------------------- SQLite


def test_a_sqlite_table_through_adbc(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "crm.sqlite")
    db.execute(
        "CREATE TABLE contacts (ID INTEGER PRIMARY KEY, First TEXT, Last TEXT, Email TEXT, Changed TEXT)"
    )
    db.executemany(
        "INSERT INTO contacts VALUES (?, ?, ?, ?, ?)",
        [(2, "Bo", "Ng", "bo@x.com", "03/02/2024"), (1, "Ann", "Lee", "ann@x.com", "03/01/2024")],
    )
    db.commit()
    db.close()
    folder = _setup(tmp_path, "database: {driver: sqlite, path: crm.sqlite, table: contacts}")
    load, records, _ = _ingest(folder)
    assert (load.rows_read, load.rows_loaded) == (2, 2)
    assert list(records["source_row"]) == [1, 2]  # in key order


# ---------------------------------------------------------------- MySQL / MariaDB

MY_ROWS = (
    "DROP TABLE IF EXISTS crm.contacts",
    "CREATE TABLE crm.contacts (ID integer PRIMARY KEY, First text, Last text, "
    "Email varchar(80), Changed date, balance decimal(10,2), seen datetime)",
    "INSERT INTO crm.contacts VALUES "
    "(3, 'Cy', 'Oh', 'cy@x.com', '2024-03-03', 1.50, '2024-03-03 10:11:12'), "
    "(1, 'Ann', 'Lee', 'ann@x.com', '2024-03-01', NULL, NULL), "
    "(2, 'Bo', NULL, 'bo@x.com', NULL, 2.00, NULL)",
)


def test_a_mysql_table_loads_each_row_located_by_table_and_key(
    mysql, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mysql.sql(*MY_ROWS)
    monkeypatch.setenv("CRM_DB_URL", mysql.url())
    folder = _setup(tmp_path, "database: {driver: mysql, url_env: CRM_DB_URL, table: crm.contacts}")
    load, records, rejects = _ingest(folder)
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (3, 2, 1)
    assert load.file == "mysql:crm.contacts"
    assert list(records["source_id"]) == ["1", "3"]
    assert list(records["source_row"]) == [1, 3]  # in key order
    assert records["updated_at"].astype(str).tolist() == ["2024-03-01", "2024-03-03"]
    (reject,) = rejects.itertuples()
    assert reject.source_id == "2"
    assert reject.reason.startswith("mysql:crm.contacts: key 2: column 'Last'")


def test_a_mysql_query_is_a_source(mysql, tmp_path: Path, monkeypatch) -> None:
    mysql.sql(*MY_ROWS)
    monkeypatch.setenv("CRM_DB_URL", mysql.url())
    query = "SELECT ID, First, Last, upper(Email) AS Email, Changed FROM contacts WHERE Last IS NOT NULL"
    folder = _setup(
        tmp_path, f"database:\n  driver: mysql\n  url_env: CRM_DB_URL\n  query: '{query}'"
    )
    load, records, _ = _ingest(folder)
    assert (load.rows_read, load.rows_loaded) == (2, 2)
    assert load.file == "mysql:query"
    assert list(records["email"]) == ["ANN@X.COM", "CY@X.COM"]


def test_mysql_bad_credentials_or_a_missing_table_stop_before_loading(
    mysql, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mysql.sql(*MY_ROWS)
    folder = _setup(tmp_path, "database: {driver: mysql, url_env: CRM_DB_URL, table: crm.contacts}")
    contract = str(folder / "sources" / "crm.yaml")
    monkeypatch.setenv("CRM_DB_URL", mysql.url(password="wrong-pw"))
    (problem,) = _problems(folder)
    at = f"127.0.0.1:{mysql.port}"
    assert problem.startswith(f"{contract}: database: cannot read mysql:crm.contacts at {at}: ")
    assert "Access denied for user 'crm'" in problem and "wrong-pw" not in problem
    assert "\n" not in problem
    monkeypatch.setenv("CRM_DB_URL", mysql.url())
    (folder / "sources" / "crm.yaml").write_text(
        CUSTOMER.format(source="database: {driver: mysql, url_env: CRM_DB_URL, table: crm.nope}")
    )
    (problem,) = _problems(folder)
    assert "crm.nope" in problem and "doesn't exist" in problem
    assert not (folder / "store.duckdb").exists()


# ---------------------------------------------------------------- unreachable servers


@contextlib.contextmanager
def _silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers (a stuck or firewalled
    server): a driver without a timeout would wait on it for good. It lets go after
    two minutes, so a test without the timeout fails rather than hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    timer = threading.Timer(120, stop.set)
    timer.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        timer.cancel()
        thread.join()
        for s in [*held, listener]:
            s.close()


@pytest.mark.parametrize(
    ("driver", "url"),
    [
        ("postgresql", "postgresql://crm:pw-123@127.0.0.1:{port}/crm"),
        ("mysql", "mysql://crm:pw-123@127.0.0.1:{port}/crm"),
    ],
)
def test_a_server_that_never_answers_fails_within_the_connect_timeout(
    driver: str, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _silent_server() as port:
        monkeypatch.setenv("CRM_DB_URL", url.format(port=port))
        folder = _setup(
            tmp_path,
            f"database: {{driver: {driver}, url_env: CRM_DB_URL, table: contacts, "
            "connect_timeout: 2}",
        )
        (problem,) = _problems(folder)
    assert f"cannot read {driver}:contacts at 127.0.0.1:{port}: " in problem
    assert "no answer within 2 s" in problem and "pw-123" not in problem


@pytest.mark.parametrize(
    ("driver", "url"),
    [
        ("postgresql", "postgresql://crm:pw-123@127.0.0.1:{port}/crm"),
        ("postgresql", "host=127.0.0.1 port={port} user=crm password=pw-123 dbname=crm"),
        ("mysql", "mysql://crm:pw-123@127.0.0.1:{port}/crm"),
    ],
)
def test_a_refused_connection_names_the_host(
    driver: str, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CRM_DB_URL", url.format(port=port))
    folder = _setup(tmp_path, f"database: {{driver: {driver}, url_env: CRM_DB_URL, table: t}}")
    (problem,) = _problems(folder)
    assert f"cannot read {driver}:t at 127.0.0.1:{port}: " in problem
    assert "refused" in problem.lower() and "pw-123" not in problem and "\n" not in problem


def test_a_short_password_is_hidden_without_mangling_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CRM_DB_URL", f"postgresql://crm:e@127.0.0.1:{port}/crm")
    folder = _setup(tmp_path, "database: {driver: postgresql, url_env: CRM_DB_URL, table: t}")
    (problem,) = _problems(folder)
    assert "Connection refused" in problem and "crm:e@" not in problem


def test_the_connect_timeout_is_a_positive_number_of_seconds(tmp_path: Path) -> None:
    folder = _setup(
        tmp_path,
        "database: {driver: mysql, url_env: CRM_DB_URL, table: t, connect_timeout: soon}",
    )
    assert any("database.connect_timeout" in p and "seconds" in p for p in _problems(folder))
