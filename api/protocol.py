"""uvicorn's HTTP protocol, answering a request it cannot parse in the API's error shape.

uvicorn parses the request line and headers itself (httptools, or h11 without it) and
answers what it cannot parse — a ``Content-Length`` that is not a number, a header
without a colon — with a plain-text 400 before the app sees anything. These classes
send the same 400 as ``{"error": {"code": "bad_request", ...}}``. Serve with
``uvicorn.run(app, http=HTTP_PROTOCOL)`` (an import string: worker processes import
it themselves).
"""

from __future__ import annotations

import json

from api.errors import error_body

HTTP_PROTOCOL = "api.protocol:JsonErrorProtocol"

MESSAGE = (
    "malformed HTTP request (the request line or a header, such as a Content-Length "
    "that is not a number, could not be parsed)"
)


def _body() -> bytes:
    return json.dumps(error_body("bad_request", MESSAGE)).encode()


try:
    import httptools  # noqa: F401
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
    _HAS_HTTPTOOLS = False
else:
    _HAS_HTTPTOOLS = True


if _HAS_HTTPTOOLS:
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

    class JsonErrorProtocol(HttpToolsProtocol):  # type: ignore[no-redef]
        def send_400_response(self, msg: str) -> None:
            body = _body()
            content = [STATUS_LINE[400]]
            for name, value in self.server_state.default_headers:
                content.extend([name, b": ", value, b"\r\n"])
            content.extend(
                [
                    b"content-type: application/json\r\n",
                    b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                    b"connection: close\r\n",
                    b"\r\n",
                    body,
                ]
            )
            self.transport.write(b"".join(content))
            self.transport.close()

else:  # pragma: no cover
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class JsonErrorProtocol(H11Protocol):  # type: ignore[no-redef]
        def send_400_response(self, msg: str) -> None:
            body = _body()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ]
            event = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
            self.transport.write(self.conn.send(event))
            self.transport.write(self.conn.send(h11.Data(data=body)))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
            self.transport.close()
