"""Request body size limit, as raw ASGI middleware (before any parsing)."""

from __future__ import annotations

import json

from api.errors import error_body


class BodyLimit:
    """Answer 413 to a body over ``max_bytes`` (by Content-Length, or while streaming)."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_bytes
            except ValueError:
                await _reject(send, 400, "bad_request", "Content-Length is not a number")
                return
            if too_big:
                await _reject(send, 413, "payload_too_large", self._message())
                return
        # read the (small) body up front, refusing it once it passes the limit, then
        # hand it to the app in one piece
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # http.disconnect: the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await _reject(send, 413, "payload_too_large", self._message())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _message(self) -> str:
        return f"request body is larger than {self.max_bytes} bytes"


async def _reject(send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
