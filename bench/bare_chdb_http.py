"""A bare HTTP wrapper around chDB: the floor under any ClickHouse-over-chDB endpoint on this machine.

    python -m bench.bare_chdb_http PORT DATA_DIR

It runs each POST body on chDB in one worker thread and sends the bytes back, with none
of the protocol (no settings, sessions, auth, compression or errors).  bench_server times
`SELECT 1` against it next to `feedstar serve`, so the endpoint's own cost per request is
the difference, and the part no endpoint could remove (uvicorn, one thread hop, chDB's
per-query cost) is printed beside the target.  Not for any other use.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

import chdb
import uvicorn


def main(port: int, data_dir: str) -> None:
    connection = chdb.connect(f"file:{data_dir}")
    pool = ThreadPoolExecutor(4)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        sql = body.decode() or "SELECT 1"
        result = await asyncio.wrap_future(pool.submit(connection.query, sql, "Native"))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/octet-stream")]})
        await send({"type": "http.response.body", "body": result.bytes()})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                http="auto", loop="auto")  # the same choices as feedstar serve (httptools + uvloop)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
