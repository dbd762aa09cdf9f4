"""Reading what an admin writes in rules files, safely: one YAML loader that refuses
alias bombs and oversized documents (yaml_load.py), and the sandbox rules SQL must
pass before it runs (sql_sandbox.py)."""

from resolver.rulefiles.sql_sandbox import SANDBOX_CONFIG, sql_problem
from resolver.rulefiles.yaml_load import load_yaml

__all__ = ["SANDBOX_CONFIG", "load_yaml", "sql_problem"]
