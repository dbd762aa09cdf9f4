"""The demo world: a plumbing/HVAC business's CRM, dispatch, billing and ledger exports,
with the failure patterns real integrations produce and the ground truth to score against.
"""

from resolver.demo.world import DemoSummary, generate_demo_world

__all__ = ["DemoSummary", "generate_demo_world"]
