"""Request and response bodies: what clients send and see, apart from storage rows."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from resolver.matching.record import text_problem
from resolver.review.proposal_index import Filters

Obj = Literal["customer", "invoice"]
_ID = r"^[A-Za-z0-9_.:@/ -]{1,200}$"


def _plain_text(v: str | None) -> str | None:
    why = None if v is None else text_problem(v)
    if why is not None:
        raise ValueError(why)
    return v


PlainText = AfterValidator(_plain_text)
"""Refuses what the store cannot hold or a response cannot echo: a NUL character or a
lone UTF-16 surrogate (JSON's ``"\\ud800"``); put it on every string a client sends."""


def _text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str, StringConstraints(min_length=min_length, max_length=max_length), PlainText
    ]


SystemName = _text(100)
Version = _text(100, min_length=1)
Reason = _text(2000)
RecordKey = _text(300)


class ErrorDetail(BaseModel):
    code: str = Field(examples=["conflict"])
    message: str = Field(examples=["proposal P-CUS-0000012 is at version 3f2a.1, not 3f2a.0"])
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d}
    for s, d in {
        400: "malformed request: a body that is not JSON (`malformed_json`), or a "
        "Content-Length that is not a number (`bad_request`)",
        401: "no or unknown API key",
        403: "the key's role is too low",
        404: "not found",
        422: "invalid request: a value the schema, the store or the matcher cannot take "
        "(wrong type, too long, a NUL character, a lone UTF-16 surrogate)",
        503: "the store is unavailable",
        507: "the server's disk is full: nothing was written (`insufficient_storage`)",
    }.items()
}


# -- proposals -------------------------------------------------------------------
class ProposalSummary(BaseModel):
    proposal_id: str = Field(examples=["P-CUS-0000012"])
    object: Obj
    kind: str = Field(examples=["link"], description="duplicate | link | review_pair")
    status: str = Field(examples=["open"], description="open | accepted | rejected | split")
    version: str = Field(examples=["5d1c0f3a.0"], description="send it back with a decision")
    entity_ids: list[str]
    record_keys: list[str]
    systems: list[str]
    confidence: float | None = Field(description="match probability of the weakest link")
    suggested_action: str = Field(examples=["review"], description="auto_merge | review | none")
    stake_cents: int | None = None
    records_affected: int | None = None
    run_id: int | None = None


class ProposalFilter(BaseModel):
    """Which proposals a list shows: the filters of ``GET /proposals`` and of the
    review page's queue (query parameters)."""

    object: Obj | None = None
    system: SystemName | None = Field(None, examples=["crm"])
    status: Literal["open", "accepted", "rejected", "split", "any"] = Field(
        "open", description="`any` lists every status"
    )
    action: Literal["auto_merge", "review", "none"] | None = Field(
        None, description="suggested action"
    )
    kind: Literal["duplicate", "link", "review_pair"] | None = None
    min_confidence: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    max_confidence: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)

    def filters(self) -> Filters:
        return Filters(
            self.object,
            self.system,
            None if self.status == "any" else self.status,
            self.action,
            self.kind,
            self.min_confidence,
            self.max_confidence,
        )


class ProposalQuery(ProposalFilter):
    """The filters, order and page of ``GET /proposals`` (query parameters)."""

    sort: Literal["stake", "confidence", "-confidence", "records", "id"] = Field(
        "stake", description="stake: money at stake first; confidence: weakest first"
    )
    cursor: str | None = Field(None, pattern=r"^[0-9]{1,12}$")
    limit: int = Field(50, ge=1, le=500)


class ProposalPage(BaseModel):
    items: list[ProposalSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class Decision(BaseModel):
    decision_id: int
    object: str
    action: str
    record_keys: list[str]
    groups: list[list[str]] | None = None
    undoes: int | None = None
    reviewer: str
    reason: str | None = None
    decided_at: str
    proposal_version: str | None = None
    batch_id: str | None = Field(None, description="set on the decisions of one bulk step")
    golden: dict[str, str] | None = Field(
        None, description="accept: the golden record's field -> the member picked for it"
    )
    record_values: dict[str, Any] = {}


class ProposalDetail(BaseModel):
    proposal_id: str
    object: Obj
    current: bool = Field(description="false: the last run no longer proposes it")
    status: str
    record_keys: list[str]
    kind: str | None = None
    version: str | None = None
    entity_ids: list[str] = []
    systems: list[str] = []
    confidence: float | None = None
    suggested_action: str | None = None
    stake_cents: int | None = None
    records_affected: int | None = None
    run_id: int | None = None
    members: list[dict[str, Any]] = Field(default=[], description="each record's values")
    golden: dict[str, Any] = Field(default={}, description="field -> value and source record")
    evidence: list[dict[str, Any]] = Field(
        default=[], description="per pair: each comparison's level and weight"
    )
    history: list[Decision] = []
    changes_since_decision: dict[str, Any] = Field(
        default={}, description="record -> field -> {then, now} since the last decision"
    )


class DecisionRequest(BaseModel):
    """A reviewer's decision. The reviewer recorded is the API key's identity."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "accept", "version": "5d1c0f3a.0", "reason": "same email and phone"},
                {
                    "action": "split",
                    "version": "5d1c0f3a.0",
                    "groups": [["crm:CT0000001"], ["billing:B000001", "ledger:L000001"]],
                },
            ]
        },
    )

    action: Literal["accept", "reject", "split", "undo"]
    version: Version = Field(description="the version you reviewed")
    reason: Reason | None = None
    groups: list[list[RecordKey]] | None = Field(
        default=None, max_length=100, description="split only: a partition of the record keys"
    )
    golden: dict[_text(50), RecordKey] | None = Field(
        default=None,
        max_length=50,
        description="accept only: golden field -> the member (record key) whose value the "
        "golden record carries, before every survivorship rule, in this and later runs",
        examples=[{"email": "crm:CT0000001"}],
    )


# -- orphans ---------------------------------------------------------------------
class Orphan(BaseModel):
    model_config = ConfigDict(extra="allow")

    orphan_id: str = Field(examples=["O-3f1e9a0b5c2d4e6f"])
    object: str
    system: str
    source_id: str
    record_key: str
    expectation: str
    resolution: str = Field(description="open | expected | linked")


class OrphanPage(BaseModel):
    items: list[Orphan]
    next_cursor: str | None


class OrphanResolution(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "link", "record_key": "ledger:500123", "reason": "same invoice"},
                {"action": "expected", "reason": "voided before the ledger sync"},
            ]
        },
    )

    action: Literal["link", "expected"]
    reason: Reason | None = None
    record_key: RecordKey | None = None


class OrphanResolved(BaseModel):
    orphan_id: str
    decision_id: int


# -- entities, crosswalk ---------------------------------------------------------
class Entity(BaseModel):
    entity_id: str = Field(examples=["CUS-0000123"])
    object: Obj
    current: bool
    systems: list[str] = []
    golden: dict[str, Any] = {}
    members: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []


class CrosswalkRow(BaseModel):
    object: Obj
    system: str
    source_id: str
    record_key: str
    entity_id: str


# -- match -----------------------------------------------------------------------
class MatchRequest(BaseModel):
    """A new record: canonical (``record``) or as a system exports it (``system`` +
    ``source_record``, mapped through that system's contract)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "object": "customer",
                    "record": {
                        "first_name": "Jon",
                        "last_name": "Smith",
                        "email": "jon.smith@example.com",
                        "phone": "(217) 555-0123",
                        "street": "12 Oak St",
                        "postal_code": "62701",
                    },
                },
                {
                    "system": "crm",
                    "object": "customer",
                    "source_record": {"First Name": "Jon", "Last Name": "Smith"},
                },
            ]
        },
    )

    object: Obj
    system: SystemName | None = None
    record: dict[str, str | int | float | None] | None = Field(default=None, max_length=100)
    source_record: dict[str, str | int | float | None] | None = Field(default=None, max_length=200)
    top: int = Field(default=5, ge=1, le=50)


class MatchEvidence(BaseModel):
    comparison: str = Field(examples=["email"])
    level: str = Field(examples=["exact"])
    gamma: int
    match_weight: float
    tf_adjustment: float


class MatchCandidate(BaseModel):
    record_key: str
    entity_id: str | None
    system: str
    source_id: str
    match_probability: float
    match_weight: float
    veto: str | None = Field(description="a veto the pair meets: never auto-linked")
    evidence: list[MatchEvidence]


class MatchResponse(BaseModel):
    object: Obj
    candidates: list[MatchCandidate]
    candidates_considered: int
    truncated: bool = Field(
        description="a blocking key was left out: its records would have passed the "
        "candidate budget (1,000 a call, the keys fewest records share first)"
    )
    normalized: dict[str, Any] = Field(description="the record's values the model compared")
    prior: float
    prior_source: str
    model_version: str
    run_id: int | None
    no_candidates: str | None = Field(
        default=None,
        description="set when no stored record was compared: the blocking keys the record "
        "fills (no stored record shares them), those it comes closest to filling and "
        "the normalized values they still need",
    )


# -- runs, health ------------------------------------------------------------------
class Run(BaseModel):
    model_config = ConfigDict(extra="allow")

    run_id: int
    status: str
    started_at: Any = None
    finished_at: Any = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    store: str
    run_id: int | None
    matcher: str = Field(description="ready | unavailable: <why> | disabled")


# -- bulk decisions ----------------------------------------------------------------
class BulkFilter(BaseModel):
    """Which open proposals suggested for auto-merge a bulk step takes (the list's
    filters; status and suggested action are fixed)."""

    model_config = ConfigDict(extra="forbid")

    object: Obj | None = None
    system: SystemName | None = None
    kind: Literal["duplicate", "link", "review_pair"] | None = None
    min_confidence: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    max_confidence: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)

    def filters(self) -> Filters:
        return Filters(
            object=self.object,
            system=self.system,
            kind=self.kind,
            min_confidence=self.min_confidence,
            max_confidence=self.max_confidence,
        )


class BulkPreview(BaseModel):
    count: int = Field(description="open proposals suggested for auto-merge the filter selects")
    stake_cents: int = Field(description="their money at stake, added up")


class BulkAcceptRequest(BulkFilter):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "object": "customer",
                    "expect_count": 1251,
                    "expect_stake_cents": 93412877,
                    "reason": "auto-merge suggestions checked by sample",
                }
            ]
        },
    )

    expect_count: int = Field(ge=0, description="the count of the preview you confirmed")
    expect_stake_cents: int = Field(ge=0, description="the money of the preview you confirmed")
    reason: Reason | None = None


class BulkAccepted(BaseModel):
    batch_id: str = Field(examples=["B-3f1e9a0b5c2d4e6f"], description="undo it as one step")
    count: int
    stake_cents: int


class UndoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


class BulkUndone(BaseModel):
    batch_id: str
    count: int = Field(description="decisions undone (those still in force)")


class OrphanUndone(BaseModel):
    orphan_id: str
    decision_id: int = Field(description="the undo decision")
