"""Not tests: a real HTTP receiver on loopback for apprise's json:// scheme, recording each post.

`Webhook(fail_first=N)` answers 500 to its first N posts (a chat service having a bad
minute), then 200; every post is recorded with the status it got.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Post:
    status: int
    title: str
    message: str
    attachments: dict[str, bytes]  # file name -> decoded bytes


class Webhook:
    def __init__(self, fail_first: int = 0):
        self.posts: list[Post] = []
        self.fail_first = fail_first
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = 500 if len(hook.posts) < hook.fail_first else 200
                files = {item["filename"]: base64.b64decode(item["base64"]) for item in body.get("attachments", [])}
                hook.posts.append(Post(status, body.get("title", ""), body.get("message", ""), files))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_port}/hook"

    @property
    def delivered(self) -> list[Post]:
        return [post for post in self.posts if post.status == 200]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
