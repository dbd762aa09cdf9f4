"""API latency and throughput: GET /proposals, GET /proposals/{id}, POST decisions and
POST /match at 1, 8 and 32 concurrent clients against `resolver serve` on 127.0.0.1.

    .venv/bin/python benchmarks/api.py                 # builds and caches the store first
    .venv/bin/python benchmarks/api.py --requests 200  # fewer requests per cell
    .venv/bin/python benchmarks/api.py --workers 2     # two server processes
    .venv/bin/python benchmarks/api.py --only match     # POST /match alone

The time each POST /match spent finding candidates and scoring them (the server's
``Server-Timing`` header) is printed beside the latencies.

The store (400k true customers, seed 7: ~1M customer records, ~700k proposals) is
built once with ``resolver.demo.fixtures.build_demo_store`` under ``benchmarks/out/api-400k``
(several minutes). The server runs in its own process(es); the load comes from
another process (threads with one keep-alive http.client connection each).
Decisions accept distinct open proposals (each is decided once), so repeated runs
keep adding decisions to the cached store's journal. Targets: GET p95 < 20 ms and
POST /match p95 < 100 ms at 8 clients.

Memory: each server process's RSS, PSS (its share of pages shared with the other
processes: summed, what the processes hold together), private pages and peak RSS,
printed when the server is ready and after the load (Linux ``/proc``), and of it the
review view's memory-mapped files (view rss / view pss: pages every worker shares).
Target: under 1.5 GB per process at 1M customers, and N workers not holding N copies.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
STORE_DIR = OUT / "api-400k"
CONCURRENCY = (1, 8, 32)
TARGETS_MS = {"GET /proposals": 20, "GET /proposals/{id}": 20, "POST /match": 100}


def ensure_store(workdir: Path, customers: int) -> Path:
    db = workdir / "resolver.duckdb"
    if db.exists():
        ensure_view(db)
        return db
    from resolver.demo.fixtures import build_demo_store

    print(f"building the benchmark store in {workdir} (several minutes) ...", flush=True)
    t = time.perf_counter()
    build_demo_store(workdir, customers=customers, seed=7)
    print(f"built in {time.perf_counter() - t:.0f} s", flush=True)
    return db


def ensure_view(db: Path) -> None:
    """Write the review view beside a cached store built before views existed (a
    run writes it at publish; without one the server reads the view into memory)."""
    from resolver import store
    from resolver.review.view_file import open_view, write_view

    con = store.connect(db, read_only=True)
    try:
        if open_view(con, db) is not None:
            return
    finally:
        con.close()
    print(f"writing the review view beside {db} ...", flush=True)
    t = time.perf_counter()
    con = store.connect(db)
    try:
        write_view(con, db)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    print(f"written in {time.perf_counter() - t:.0f} s", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    db: Path,
    workdir: Path,
    rules: Path,
    models: Path,
    workers: int = 1,
) -> tuple[subprocess.Popen, str, str]:
    import hashlib  # not api.keys: this file's own name shadows the api package here

    def hash_key(k: str) -> str:
        return hashlib.sha256(k.encode()).hexdigest()

    key = secrets.token_urlsafe(24)
    keys = workdir / "bench-keys.yaml"
    keys.write_text(f"keys:\n  - name: bench\n    role: admin\n    sha256: {hash_key(key)}\n")
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "resolver",
            "serve",
            "--db",
            str(db),
            "--keys",
            str(keys),
            "--port",
            str(port),
            "--rules",
            str(rules),
            "--models",
            str(models),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "server.log", "w"),  # noqa: SIM115
    )
    url = f"http://127.0.0.1:{port}"
    t = time.perf_counter()
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited; see {workdir / 'server.log'}")
        try:
            h = httpx.get(f"{url}/healthz", timeout=2).json()
            if h["matcher"] != "ready":
                proc.terminate()
                raise SystemExit(f"matcher unavailable: {h['matcher']}")
            if h:
                print(f"server ready in {time.perf_counter() - t:.1f} s: {h}", flush=True)
                return proc, url, key
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.5)


# -- memory of the server's processes --------------------------------------------------
def _proc_kb(path: Path, fields: tuple[str, ...]) -> dict[str, int]:
    out = {}
    for line in path.read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in fields:
            out[name] = int(rest.split()[0])
    return out


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the workers of ``--workers N``), parents first."""
    out = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out += _tree(int(child))
    return out


def _role(p: int, server: int) -> str:
    if p == server:
        return "server"
    cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")
    return "tracker" if b"resource_tracker" in cmd else "worker"


def _view_kb(p: int, folder: str) -> dict[str, int]:
    """RSS and PSS of the review view's mapped files in process ``p`` (kB)."""
    out = {"Rss": 0, "Pss": 0}
    inside = False
    for line in Path(f"/proc/{p}/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and not parts[0].endswith(":"):
            inside = len(parts) >= 6 and parts[5].startswith(folder)
        elif inside and parts and parts[0][:-1] in out:
            out[parts[0][:-1]] += int(parts[1])
    return out


def server_memory(pid: int, db: Path) -> list[dict]:
    """Per server process (Linux /proc): resident set (RSS), its proportional share
    of pages shared with other processes (PSS: summed over processes, what they hold
    together), pages no other process shares (private, USS) and the peak RSS, in MB;
    and of the RSS, the review view's memory-mapped files (view RSS / view PSS)."""
    from resolver.review.view_file import view_root

    folder = str(view_root(db))
    rows = []
    for p in _tree(pid):
        roll = _proc_kb(
            Path(f"/proc/{p}/smaps_rollup"), ("Rss", "Pss", "Private_Clean", "Private_Dirty")
        )
        status = _proc_kb(Path(f"/proc/{p}/status"), ("VmHWM",))
        view = _view_kb(p, folder)
        rows.append(
            {
                "pid": p,
                "role": _role(p, pid),
                "rss_mb": round(roll["Rss"] / 1024, 1),
                "pss_mb": round(roll["Pss"] / 1024, 1),
                "private_mb": round((roll["Private_Clean"] + roll["Private_Dirty"]) / 1024, 1),
                "peak_rss_mb": round(status["VmHWM"] / 1024, 1),
                "view_rss_mb": round(view["Rss"] / 1024, 1),
                "view_pss_mb": round(view["Pss"] / 1024, 1),
            }
        )
    return rows


def print_memory(when: str, rows: list[dict]) -> None:
    print(f"memory per process ({when}), MB:")
    print(
        f"  {'pid':>8} {'role':<7} {'rss':>8} {'pss':>8} {'private':>8} {'peak rss':>9} "
        f"{'view rss':>9} {'view pss':>9}"
    )
    for r in rows:
        print(
            f"  {r['pid']:>8} {r['role']:<7} {r['rss_mb']:>8} {r['pss_mb']:>8} "
            f"{r['private_mb']:>8} {r['peak_rss_mb']:>9} {r['view_rss_mb']:>9} "
            f"{r['view_pss_mb']:>9}"
        )
    total = round(sum(r["pss_mb"] for r in rows), 1)
    print(f"  all processes together (sum of PSS): {total} MB", flush=True)


# -- the load generator (its own process) ---------------------------------------------
def _load(url: str, key: str, requests: list[dict], clients: int, out: mp.Queue) -> None:
    """Closed-loop clients, one thread and one keep-alive connection each. The
    standard library's http.client, not httpx: on a 2-core machine the load
    generator shares the CPU with the server, and httpx spends ~1.5 ms of CPU a
    request where http.client spends a fraction of that."""
    latencies: list[float] = []
    timings: list[str] = []  # the Server-Timing headers
    considered: list[int] = []  # POST /match: candidates scored per call
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(enumerate(requests))
    qlock = threading.Lock()
    host, port = urlsplit(url).hostname, urlsplit(url).port

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            while True:
                with qlock:
                    if not queue:
                        return
                    _, req = queue.pop()
                path = req["path"]
                if req.get("params"):
                    path += "?" + urlencode(req["params"])
                headers = {"X-API-Key": key}
                body = None
                if req.get("json") is not None:
                    body = json.dumps(req["json"]).encode()
                    headers["Content-Type"] = "application/json"
                t = time.perf_counter()
                conn.request(req["method"], path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    if r.getheader("Server-Timing"):
                        timings.append(r.getheader("Server-Timing"))
                    if path == "/match" and r.status == 200:
                        considered.append(json.loads(data)["candidates_considered"])
                    statuses[r.status] = statuses.get(r.status, 0) + 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(
        {
            "latencies": latencies,
            "timings": timings,
            "considered": considered,
            "statuses": statuses,
            "seconds": time.perf_counter() - t0,
        }
    )


def server_timing(headers: list[str]) -> dict[str, dict[str, float]]:
    """Mean, p50 and p95 in ms of each part a ``Server-Timing`` header names."""
    parts: dict[str, list[float]] = {}
    for h in headers:
        for item in h.split(","):
            name, _, dur = item.strip().partition(";dur=")
            if dur:
                parts.setdefault(name, []).append(float(dur))
    out = {}
    for name, xs in parts.items():
        xs.sort()
        out[name] = {
            "mean_ms": round(sum(xs) / len(xs), 2),
            "p50_ms": round(xs[len(xs) // 2], 2),
            "p95_ms": round(xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))], 2),
        }
    return out


def run_load(url: str, key: str, requests: list[dict], clients: int) -> dict:
    q: mp.Queue = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=_load, args=(url, key, requests, clients, q))
    p.start()
    res = q.get()
    p.join()
    lat = sorted(res["latencies"])

    def pct(x: float) -> float:
        return 1000 * lat[min(len(lat) - 1, round(x * (len(lat) - 1)))]

    return {
        "n": len(lat),
        "p50_ms": round(pct(0.50), 2),
        "p95_ms": round(pct(0.95), 2),
        "p99_ms": round(pct(0.99), 2),
        "rps": round(len(lat) / res["seconds"], 1),
        "statuses": res["statuses"],
        "server_timing": server_timing(res["timings"]),
        "candidates_per_call": _spread(res["considered"]),
    }


def _spread(xs: list[int]) -> dict[str, float] | None:
    if not xs:
        return None
    xs = sorted(xs)
    return {
        "mean": round(sum(xs) / len(xs), 1),
        "p50": xs[len(xs) // 2],
        "p95": xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))],
    }


# -- request sets ------------------------------------------------------------------
def request_sets(url: str, key: str, db: Path, n: int, rng: random.Random) -> dict[str, list]:
    from resolver import store

    h = {"X-API-Key": key}
    # proposals: ids for reads; open ones (with versions) for decisions
    ids, open_props, cursor = [], [], None
    with httpx.Client(base_url=url, headers=h, timeout=60) as c:
        while len(open_props) < 3 * n * len(CONCURRENCY):
            params = {"limit": 500, "sort": "id", "status": "open"}
            if cursor:
                params["cursor"] = cursor
            page = c.get("/proposals", params=params).json()
            open_props += [(p["proposal_id"], p["version"]) for p in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
    ids = [p for p, _ in open_props]
    rng.shuffle(open_props)
    con = store.connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT first_name, last_name, email, phone, street, city, state, postal_code "
            "FROM customers USING SAMPLE 2000 ROWS"
        ).fetchall()
    finally:
        con.close()
    fields = ["first_name", "last_name", "email", "phone", "street", "city", "state", "postal_code"]
    matches = []
    for r in rows:
        rec = {f: v for f, v in zip(fields, r, strict=True) if v is not None}
        if not rec:
            continue
        if rec.get("first_name"):
            rec["first_name"] = rec["first_name"][:-1] + "x"  # a typo
        matches.append(
            {"method": "POST", "path": "/match", "json": {"object": "customer", "record": rec}}
        )
    sorts = ["stake", "confidence", "-confidence", "records", "id"]
    lists = [
        {
            "method": "GET",
            "path": "/proposals",
            "params": {
                "sort": rng.choice(sorts),
                "limit": 50,
                "cursor": str(50 * rng.randrange(0, 20)),
            },
        }
        for _ in range(n)
    ]
    gets = [{"method": "GET", "path": f"/proposals/{rng.choice(ids)}"} for _ in range(n)]
    return {
        "GET /proposals": lists,
        "GET /proposals/{id}": gets,
        "POST /match": [rng.choice(matches) for _ in range(n)],
        "_open": open_props,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store-dir", type=Path, default=STORE_DIR)
    ap.add_argument("--customers", type=int, default=400_000)
    ap.add_argument("--requests", type=int, default=300, help="requests per cell (default 300)")
    ap.add_argument("--out", type=Path, default=OUT / "api-results.json")
    ap.add_argument(
        "--rules",
        type=Path,
        default=ROOT / "rules",
        help="the rules the store was built with (default: rules)",
    )
    ap.add_argument(
        "--models",
        type=Path,
        default=ROOT / "models",
        help="the models the store was built with (default: models)",
    )
    ap.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    ap.add_argument(
        "--only",
        choices=["proposals", "decisions", "match"],
        action="append",
        help="run only these endpoints' cells (repeatable; default all)",
    )
    args = ap.parse_args()
    os.chdir(ROOT)
    args.store_dir.mkdir(parents=True, exist_ok=True)
    db = ensure_store(args.store_dir, args.customers)
    proc, url, key = start_server(db, args.store_dir, args.rules, args.models, args.workers)
    groups = {
        "GET /proposals": "proposals",
        "GET /proposals/{id}": "proposals",
        "POST decisions": "decisions",
        "POST /match": "match",
    }
    rng = random.Random(7)
    results: dict[str, dict] = {}
    memory: dict[str, list[dict]] = {}
    try:
        memory["ready"] = server_memory(proc.pid, db)
        print_memory("ready, before any request", memory["ready"])
        sets = request_sets(url, key, db, args.requests, rng)
        open_props = sets.pop("_open")
        print(f"{len(open_props):,} open proposals sampled", flush=True)
        print(
            f"{'endpoint':<22} {'clients':>7} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'req/s':>7}  statuses"
        )
        for name, group in groups.items():
            if args.only and group not in args.only:
                continue
            for clients in CONCURRENCY:
                if name == "POST decisions":
                    take, open_props = open_props[: args.requests], open_props[args.requests :]
                    reqs = [
                        {
                            "method": "POST",
                            "path": f"/proposals/{pid}/decisions",
                            "json": {"action": "accept", "version": ver},
                        }
                        for pid, ver in take
                    ]
                else:
                    reqs = sets[name]
                if not reqs:
                    continue
                r = run_load(url, key, reqs, clients)
                results[f"{name} @{clients}"] = r
                print(
                    f"{name:<22} {clients:>7} {r['n']:>5} {r['p50_ms']:>8} {r['p95_ms']:>8} "
                    f"{r['p99_ms']:>8} {r['rps']:>7}  {r['statuses']}",
                    flush=True,
                )
                if r["candidates_per_call"]:
                    c = r["candidates_per_call"]
                    print(
                        f"{'  candidates scored':<22} {'':>7} {'':>5} {c['p50']:>8} "
                        f"{c['p95']:>8} {'':>8} {'':>7}  mean {c['mean']} a call",
                        flush=True,
                    )
                for part, t in r["server_timing"].items():
                    print(
                        f"{'  of which ' + part:<22} {'':>7} {'':>5} {t['p50_ms']:>8} "
                        f"{t['p95_ms']:>8} {'':>8} {'':>7}  mean {t['mean_ms']} ms",
                        flush=True,
                    )
        memory["after"] = server_memory(proc.pid, db)
        print_memory("after the load", memory["after"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    results["memory_mb"] = memory  # type: ignore[assignment]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    misses = [
        f"{name} @8 p95 {results[f'{name} @8']['p95_ms']} ms > {ms} ms"
        for name, ms in TARGETS_MS.items()
        if f"{name} @8" in results and results[f"{name} @8"]["p95_ms"] > ms
    ]
    print("targets met" if not misses else "targets missed: " + "; ".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
