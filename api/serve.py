"""`resolver serve`: the review API (FastAPI under uvicorn) over one store.

The command lives with the API and reaches the CLI through the entry point group
``resolver.commands`` (pyproject.toml), so ``resolver`` never imports ``api``.
"""

from __future__ import annotations

import argparse
import json
import os

import uvicorn

from api.app import SERVE_ENV, create_app
from api.protocol import HTTP_PROTOCOL
from api.settings import Settings, SettingsError
from resolver.errors import ResolverError


def add_serve_command(sub: argparse._SubParsersAction) -> None:
    """`resolver serve`: the review API (FastAPI under uvicorn) over one store."""

    def serve(args: argparse.Namespace) -> int:
        if args.insecure_dev and args.host not in ("127.0.0.1", "localhost", "::1"):
            raise ResolverError("--insecure-dev serves every caller as admin: localhost only")
        try:
            settings = Settings.load(
                db=args.db,
                keys_file=args.keys,
                rules_dir=args.rules,
                models_dir=args.models,
                insecure_dev=args.insecure_dev,
            )
        except SettingsError as exc:
            raise ResolverError(str(exc)) from exc
        if args.workers < 1:
            raise ResolverError("--workers must be at least 1")
        if args.workers == 1:
            uvicorn.run(
                create_app(settings),
                host=args.host,
                port=args.port,
                access_log=False,
                http=HTTP_PROTOCOL,
            )
            return 0
        # several processes: each builds its app from the same (validated) arguments
        os.environ[SERVE_ENV] = json.dumps(
            {
                "db": str(args.db),
                "keys_file": args.keys,
                "rules_dir": str(args.rules),
                "models_dir": str(args.models),
                "insecure_dev": args.insecure_dev,
                # one secret for every worker: a review-page session works on all of them
                "session_secret": settings.session_secret,
            }
        )
        uvicorn.run(
            "api.app:app_from_env",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            access_log=False,
            http=HTTP_PROTOCOL,
        )
        return 0

    p = sub.add_parser("serve", help="serve the review API (proposals, orphans, match)")
    p.add_argument("--db", required=True, help="the store's DuckDB file")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--keys",
        default=None,
        help="API keys file (YAML/JSON of sha256 hashes); default: $RESOLVER_API_KEYS",
    )
    p.add_argument("--rules", default="rules", help="rules folder (default: rules)")
    p.add_argument("--models", default="models", help="models folder (default: models)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (default 1); they share the review view (memory-mapped "
        "from the files written at publish), each holds its own matcher",
    )
    p.add_argument(
        "--insecure-dev",
        action="store_true",
        help="no keys: every caller is an admin (localhost only)",
    )
    p.set_defaults(func=serve)
