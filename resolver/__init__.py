"""resolver: entity resolution for customers and invoices across business systems."""

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
)

__version__ = "0.1.0"

__all__ = [
    "Conflict",
    "ContractError",
    "InvalidDecision",
    "ModelError",
    "NotFound",
    "Problem",
    "ResolverError",
    "RulesError",
    "StoreError",
    "__version__",
]
