"""resolver: entity resolution for customers and invoices across business systems.

The public API: what the CLI, the merge-review API and the analyst notebooks use.
"""

from resolver.demo.fixtures import DemoStore, build_demo_store, generate_world
from resolver.errors import (
    Conflict,
    ContractError,
    InvalidDecision,
    ModelError,
    NotFound,
    Problem,
    ResolverError,
    RulesError,
    StoreError,
    ValidationProblems,
)
from resolver.ingest.contracts import Contract, load_contracts
from resolver.ingest.load import SourceLoad, ingest
from resolver.linkage.model import Model, load_model, save_model, train_model
from resolver.linkage.predict import score_table
from resolver.linkage.rules import LinkageRules, load_rules, write_thresholds
from resolver.pipeline import RunSummary, run_batch, train, validate
from resolver.report.accuracy import Scores, evaluate, score_clusters
from resolver.review import (
    Page,
    crosswalk_lookup,
    decide,
    get_entity,
    get_proposal,
    list_proposals,
)
from resolver.review.decisions import labels as decision_labels
from resolver.store import connect

__version__ = "0.1.0"

__all__ = [
    "Conflict",
    "Contract",
    "ContractError",
    "DemoStore",
    "InvalidDecision",
    "LinkageRules",
    "Model",
    "ModelError",
    "NotFound",
    "Page",
    "Problem",
    "ResolverError",
    "RulesError",
    "RunSummary",
    "Scores",
    "SourceLoad",
    "StoreError",
    "ValidationProblems",
    "__version__",
    "build_demo_store",
    "connect",
    "crosswalk_lookup",
    "decide",
    "decision_labels",
    "evaluate",
    "generate_world",
    "get_entity",
    "get_proposal",
    "ingest",
    "list_proposals",
    "load_contracts",
    "load_model",
    "load_rules",
    "run_batch",
    "save_model",
    "score_clusters",
    "score_table",
    "train",
    "train_model",
    "validate",
    "write_thresholds",
]
