"""A whole run with one system read from a real database gives the entities the same
run gives from its exported file: the CRM's contacts in PostgreSQL and in MariaDB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore

pytestmark = pytest.mark.slow


def _entities(db: Path) -> set[frozenset[tuple[str, str]]]:
    """Each entity as the set of its (system, source id) records."""
    con = store.connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT m.entity_id, c.system, c.source_id FROM customer_members m "
            "JOIN customers c USING (record_key)"
        ).fetchall()
    finally:
        con.close()
    groups: dict[str, set[tuple[str, str]]] = {}
    for entity, system, source_id in rows:
        groups.setdefault(entity, set()).add((system, source_id))
    return {frozenset(g) for g in groups.values()}


def _rules_reading_crm_from(demo_store: DemoStore, tmp_path: Path, source: str) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(demo_store.rules_dir, rules)
    contract = rules / "sources" / "crm_customers.yaml"
    text = contract.read_text()
    assert 'file: crm/contacts.csv\ncsv: {delimiter: ",", encoding: utf-8}\n' in text
    contract.write_text(
        text.replace('file: crm/contacts.csv\ncsv: {delimiter: ",", encoding: utf-8}\n', source)
    )
    return rules


def _contacts(demo_store: DemoStore) -> pd.DataFrame:
    return pd.read_csv(
        demo_store.data_dir / "crm" / "contacts.csv", dtype=str, keep_default_na=False
    )


def _same_run(demo_store: DemoStore, tmp_path: Path, rules: Path, location: str) -> None:
    db = tmp_path / "db.duckdb"
    demo_store.run(db, rules_dir=rules)
    con = store.connect(db, read_only=True)
    try:
        files = con.execute(
            "SELECT DISTINCT source_file FROM customers WHERE system = 'crm'"
        ).fetchall()
    finally:
        con.close()
    assert files == [(location,)]
    assert _entities(db) == _entities(demo_store.db)


def test_a_run_reading_the_crm_from_postgresql_finds_the_same_entities(
    pg, demo_store: DemoStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import adbc_driver_postgresql.dbapi as dbapi

    contacts = _contacts(demo_store)
    pg.psql("CREATE SCHEMA IF NOT EXISTS crm; DROP TABLE IF EXISTS crm.contacts")
    with dbapi.connect(pg.url()) as conn, conn.cursor() as cur:
        cur.adbc_ingest("contacts", pa.Table.from_pandas(contacts), db_schema_name="crm")
        conn.commit()
    monkeypatch.setenv("CRM_DATABASE_URL", pg.url())
    source = "database: {driver: postgresql, url_env: CRM_DATABASE_URL, table: crm.contacts}\n"
    _same_run(
        demo_store,
        tmp_path,
        _rules_reading_crm_from(demo_store, tmp_path, source),
        "postgresql:crm.contacts",
    )


def test_a_run_reading_the_crm_from_mariadb_finds_the_same_entities(
    mysql, demo_store: DemoStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contacts = _contacts(demo_store)
    columns = ", ".join(f"`{c}` TEXT" for c in contacts.columns)
    mysql.sql("DROP TABLE IF EXISTS crm.contacts", f"CREATE TABLE crm.contacts ({columns})")
    mysql.insert("crm.contacts", list(contacts.itertuples(index=False, name=None)))
    monkeypatch.setenv("CRM_DATABASE_URL", mysql.url())
    source = "database: {driver: mysql, url_env: CRM_DATABASE_URL, table: crm.contacts}\n"
    _same_run(
        demo_store,
        tmp_path,
        _rules_reading_crm_from(demo_store, tmp_path, source),
        "mysql:crm.contacts",
    )
