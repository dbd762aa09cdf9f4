"""Routes of the review page (HTML, outside the OpenAPI schema)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from api import session
from api.deps import State, View, page_session
from api.errors import error_body
from api.key_ring import Principal
from api.review_page.present import label, money, proposal_view
from api.schemas import PlainText, ProposalFilter
from api.state import AppState
from resolver import review
from resolver.report import load_report, summary_lines
from resolver.review.orphans import list_orphans
from resolver.review.today import progress

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["money"] = money
router = APIRouter(prefix="/review", include_in_schema=False)
_HEADERS = {
    "Cache-Control": "no-store",
    # nothing but this origin: no CDN, no inline script, no framing by another site
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _who(request: Request, state: Any) -> tuple[Principal | None, str]:
    """(signed-in identity or None, CSRF token)."""
    if state.settings.insecure_dev:
        return Principal("dev", "admin"), ""
    s = page_session(request, state)
    return (s.who, s.csrf) if s is not None else (None, "")


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status, headers=_HEADERS)


def _signin(request: Request) -> HTMLResponse:
    return _page(request, "signin.html", status=401)


T = TypeVar("T")


async def _read_store(state: AppState, read: Callable[[Any], T]) -> T:
    """``read`` on a cursor of its own over the store, in a worker thread."""

    def run() -> T:
        cur = state.store.cursor()
        try:
            return read(cur)
        finally:
            cur.close()

    return await anyio.to_thread.run_sync(run)


class QueueQuery(ProposalFilter):
    model_config = ConfigDict(extra="ignore")

    sort: Literal["stake", "confidence", "-confidence", "records"] = "stake"
    limit: int = Field(100, ge=1, le=500)


@router.get("", response_class=HTMLResponse)
async def review_page(request: Request, state: State, view: View) -> HTMLResponse:
    who, csrf = _who(request, state)
    if who is None:
        return _signin(request)

    report = await _read_store(state, load_report)
    systems = sorted(view.proposals.system_mask)
    return _page(
        request,
        "review.html",
        who=who,
        csrf=csrf,
        can_decide=who.can("reviewer"),
        systems=systems,
        health=summary_lines(report) if report else [],
    )


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Annotated[str, Field(min_length=1, max_length=500), PlainText]


@router.post("/session")
async def sign_in(body: SignIn, request: Request, state: State) -> Response:
    """Exchange the API key for a session cookie (the key is not kept)."""
    if not session.same_origin(request):
        return JSONResponse(error_body("forbidden", "cross-site sign-in refused"), 403)
    who = state.settings.keys.lookup(body.key) if state.settings.keys else None
    if who is None:
        return JSONResponse(error_body("unauthorized", "unknown API key"), 401)
    out = Response(status_code=204)
    out.set_cookie(
        session.COOKIE,
        session.issue(state.settings.session_secret, body.key, who),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return out


@router.post("/signout")
async def sign_out(request: Request, state: State) -> Response:
    s = page_session(request, state)
    if s is not None and session.cross_site_refusal(request, s):
        return JSONResponse(error_body("forbidden", "cross-site request refused"), 403)
    out = Response(status_code=204)
    out.delete_cookie(session.COOKIE, path="/")
    return out


@router.get("/queue", response_class=HTMLResponse)
async def queue(
    request: Request, state: State, view: View, q: Annotated[QueueQuery, Query()]
) -> HTMLResponse:
    who, _ = _who(request, state)
    if who is None:
        return _signin(request)
    f = q.filters()
    page = review.proposal_page(view, f, sort=q.sort, limit=q.limit)
    items = [{**it, "label": label(view, it)} for it in page.items]
    count = len(view.proposals.select(f))
    return _page(
        request,
        "queue.html",
        items=items,
        count=count,
        progress=progress(view, f),
        more=page.next_cursor is not None,
    )


@router.get("/p/{proposal_id}", response_class=HTMLResponse)
async def proposal(
    proposal_id: Annotated[str, PlainText], request: Request, state: State, view: View
) -> HTMLResponse:
    who, _ = _who(request, state)
    if who is None:
        return _signin(request)
    detail = review.get_proposal(view, proposal_id)
    return _page(request, "proposal.html", can_decide=who.can("reviewer"), **proposal_view(detail))


@router.get("/orphans", response_class=HTMLResponse)
async def orphans_page(
    request: Request, state: State, view: View, include_resolved: bool = True
) -> HTMLResponse:
    who, csrf = _who(request, state)
    if who is None:
        return _signin(request)

    rows, _ = await _read_store(
        state,
        lambda cur: list_orphans(cur, include_resolved=include_resolved, sort="money", limit=500),
    )
    for r in rows:
        r["self"] = _record(view, r["object"], r["record_key"])
        key = r.get("candidate_record_key")
        r["candidate"] = _record(view, r["target_object"], key) if key else None
    return _page(
        request,
        "orphans.html",
        who=who,
        csrf=csrf,
        can_decide=who.can("reviewer"),
        rows=rows,
    )


def _record(view: Any, obj: str, key: str) -> dict[str, Any]:
    rows = view.members(obj, [key])
    if not rows:
        return {}
    return {
        k: v
        for k, v in rows[0].items()
        if v is not None and k not in ("row_hash", "content_hash") and not k.endswith("_norm")
    }


@router.get("/history", response_class=HTMLResponse)
async def history_page(
    request: Request,
    state: State,
    view: View,
    reviewer: Annotated[str | None, Query(max_length=100), PlainText] = None,
) -> HTMLResponse:
    who, csrf = _who(request, state)
    if who is None:
        return _signin(request)
    d = view.log.journal.decisions()
    reviewers = sorted(set(d["reviewer"])) if not d.empty else []
    if reviewer and not d.empty:
        d = d[d["reviewer"] == reviewer]
    rows = d.sort_values("decision_id", ascending=False).head(500).to_dict("records")
    return _page(
        request,
        "history.html",
        who=who,
        csrf=csrf,
        rows=rows,
        reviewers=reviewers,
        reviewer=reviewer,
    )
