"""The review page at ``/review``: server-rendered templates and a little vanilla JS,
every asset served by the app itself. Decisions go through the JSON API."""

from api.review_page.routes import router

__all__ = ["router"]
