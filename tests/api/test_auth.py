"""Keys, roles and settings: 401 vs 403, hashed keys, unsafe defaults refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from api_helpers import KEYS, headers

from api import Settings, SettingsError
from api.key_ring import KeyRing, KeysError, hash_key


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_no_key_is_401(client) -> None:
    e = _error(client.get("/proposals"), 401, "unauthorized")
    assert "Bearer" in e["message"]


def test_unknown_key_is_401(client) -> None:
    _error(client.get("/proposals", headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    _error(client.get("/proposals", headers={"X-API-Key": "nope"}), 401, "unauthorized")


def test_both_headers_work(client) -> None:
    assert client.get("/runs", headers=headers("viewer")).status_code == 200
    assert client.get("/runs", headers={"X-API-Key": KEYS["viewer"]}).status_code == 200


def test_viewer_cannot_decide_is_403(client) -> None:
    page = client.get("/proposals", headers=headers("viewer"), params={"limit": 1}).json()
    p = page["items"][0]
    r = client.post(
        f"/proposals/{p['proposal_id']}/decisions",
        headers=headers("viewer"),
        json={"action": "accept", "version": p["version"]},
    )
    _error(r, 403, "forbidden")


def test_reviewer_is_a_key_not_a_body_field(client) -> None:
    page = client.get("/proposals", headers=headers("viewer"), params={"limit": 1}).json()
    p = page["items"][0]
    r = client.post(
        f"/proposals/{p['proposal_id']}/decisions",
        headers=headers("reviewer"),
        json={"action": "accept", "version": p["version"], "reviewer": "mallory"},
    )
    _error(r, 422, "invalid_request")


def test_healthz_needs_no_key(client) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["matcher"] == "ready" and body["run_id"] == 1


def test_settings_refuse_no_keys(api_db: Path, monkeypatch) -> None:
    monkeypatch.delenv("RESOLVER_API_KEYS", raising=False)
    with pytest.raises(SettingsError, match="no API keys"):
        Settings(db=api_db)
    with pytest.raises(SettingsError, match="no API keys"):
        Settings.load(db=api_db)
    assert Settings(db=api_db, insecure_dev=True).insecure_dev


def test_keys_from_file_and_env(tmp_path: Path, monkeypatch, api_db: Path) -> None:
    f = tmp_path / "keys.yaml"
    f.write_text(f"keys:\n  - name: al\n    role: admin\n    sha256: {hash_key('s3cret')}\n")
    ring = KeyRing.from_file(f)
    assert ring.lookup("s3cret").role == "admin" and ring.lookup("other") is None
    (tmp_path / "keys.json").write_text(
        json.dumps({"keys": [{"name": "v", "role": "viewer", "sha256": hash_key("k")}]})
    )
    assert KeyRing.from_file(tmp_path / "keys.json").lookup("k").name == "v"
    monkeypatch.setenv("RESOLVER_API_KEYS", f"bo:reviewer:{hash_key('x')}")
    assert Settings.load(db=api_db).keys.lookup("x").name == "bo"


@pytest.mark.parametrize(
    "text, message",
    [
        ("keys: 3", "list under 'keys'"),
        ("keys:\n  - {name: a, role: boss, sha256: " + "0" * 64 + "}", "role must be"),
        ("keys:\n  - {name: a, role: admin, sha256: plaintextkey}", "64 hex digits"),
        ("keys:\n  - {name: 'a b', role: admin, sha256: " + "0" * 64 + "}", "name must be"),
    ],
)
def test_bad_keys_files(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "keys.yaml"
    f.write_text(text)
    with pytest.raises(KeysError, match=message):
        KeyRing.from_file(f)


def test_key_helper_prints_a_working_entry() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "api.keys", "new", "zoe", "reviewer"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Warning" not in done.stderr
    out = done.stdout
    key = out.split(": ", 1)[1].splitlines()[0].strip()
    digest = out.split("sha256: ")[1].strip()
    assert hash_key(key) == digest and key not in out.split("keys file entry:")[1]


def test_key_helper_output_pasted_into_a_new_file_is_a_keys_file(tmp_path: Path) -> None:
    """The lines the helper prints for a new keys file, saved as they are, are a keys file
    that knows the new key (not a bare list item the loader refuses)."""
    out = subprocess.run(
        [sys.executable, "-m", "api.keys", "new", "ana", "viewer"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    key = out.split(": ", 1)[1].splitlines()[0].strip()
    f = tmp_path / "keys.yaml"
    f.write_text(out[out.index("\nkeys:") + 1 :])  # the lines printed from `keys:` on
    ring = KeyRing.from_file(f)
    assert len(ring) == 1 and ring.lookup(key) is not None


def test_keys_never_logged(client, caplog) -> None:
    with caplog.at_level("DEBUG"):
        client.get("/runs", headers=headers("admin"))
        client.get("/runs", headers={"Authorization": "Bearer wrong-key-123"})
    assert KEYS["admin"] not in caplog.text and "wrong-key-123" not in caplog.text


def test_serve_refuses_unsafe_starts(api_db: Path, monkeypatch, capsys) -> None:
    from resolver.cli import main

    monkeypatch.delenv("RESOLVER_API_KEYS", raising=False)
    assert main(["serve", "--db", str(api_db)]) == 2
    assert "no API keys" in capsys.readouterr().err
    assert main(["serve", "--db", str(api_db), "--insecure-dev", "--host", "0.0.0.0"]) == 2
    assert "localhost only" in capsys.readouterr().err
