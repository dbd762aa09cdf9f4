"""Make an API key and its keys-file entry::

    python -m api.keys new alice reviewer

or hash one you have: ``printf %s "$KEY" | sha256sum``. What a key is, and the keys
file, are :mod:`api.key_ring`'s; the ``api`` package never imports this module, so
``python -m`` runs it as the only copy.
"""

from __future__ import annotations

import secrets
import sys

from api.key_ring import ROLES, hash_key


def main(argv: list[str] | None = None) -> int:
    """``python -m api.keys new NAME ROLE``: print a new key and its keys-file entry."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] != "new" or args[2] not in ROLES:
        print("usage: python -m api.keys new NAME viewer|reviewer|admin", file=sys.stderr)
        return 2
    key = secrets.token_urlsafe(32)
    print(f"key (give it to {args[1]}; it is not stored anywhere): {key}")
    print("keys file entry: the lines below are a new keys file (for an existing one, add")
    print("the last three under its `keys:`)")
    print(f"keys:\n  - name: {args[1]}\n    role: {args[2]}\n    sha256: {hash_key(key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
