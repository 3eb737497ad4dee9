"""A hub-like HTTP server on 127.0.0.1: serves files as Hugging Face's ``resolve`` URLs do.

huggingface_hub talks to it for real (``HF_ENDPOINT``): a HEAD for the metadata (commit,
ETag = the file's SHA-256 as for LFS files, size), then a GET, with ``Range`` when it
resumes a partial download. Nothing reaches the internet.
"""

import hashlib
import http.server
import re
import threading
import time
from contextlib import contextmanager
from typing import Dict, Optional


class HubServer:
    def __init__(self, files: Dict[str, bytes]):
        self.files = dict(files)  # "IGNF/repo/filename" -> content
        self.served = []  # bytes sent by each GET
        self.ranges = []  # the Range header of every GET (None: from the start)
        self.delay_per_chunk = 0.0
        self.tamper: Optional[bytes] = None  # serve these bytes instead, same ETag
        self.url = ""

    def handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _target(self):
                match = re.fullmatch(r"/(.+)/resolve/[^/]+/(.+)", self.path.split("?")[0])
                key = f"{match.group(1)}/{match.group(2)}" if match else None
                return key if key in server.files else None

            def _headers(self, key, status, start=0):
                content = server.files[key]
                self.send_response(status)
                self.send_header("X-Repo-Commit", "0" * 40)
                self.send_header("ETag", f'"{hashlib.sha256(content).hexdigest()}"')
                self.send_header("Content-Length", str(len(content) - start))
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range",
                                     f"bytes {start}-{len(content) - 1}/{len(content)}")
                self.end_headers()

            def do_HEAD(self):  # noqa: N802
                key = self._target()
                if key is None:
                    self.send_error(404)
                    return
                self._headers(key, 200)

            def do_GET(self):  # noqa: N802
                key = self._target()
                if key is None:
                    self.send_error(404)
                    return
                wanted = self.headers.get("Range")
                server.ranges.append(wanted)
                start = int(re.match(r"bytes=(\d+)-", wanted).group(1)) if wanted else 0
                self._headers(key, 206 if start else 200, start)
                body = (server.tamper or server.files[key])[start:]
                mine = len(server.served)  # a cancelled GET may still be writing
                server.served.append(0)
                try:
                    for offset in range(0, len(body), 64 * 1024):
                        self.wfile.write(body[offset:offset + 64 * 1024])
                        server.served[mine] += len(body[offset:offset + 64 * 1024])
                        if server.delay_per_chunk:
                            time.sleep(server.delay_per_chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client stopped reading (a cancelled download)

        return Handler


@contextmanager
def hub_server(files: Dict[str, bytes]):
    """A running :class:`HubServer`; its ``url`` is the ``HF_ENDPOINT`` to use."""
    hub = HubServer(files)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), hub.handler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield hub
    finally:
        httpd.shutdown()
        httpd.server_close()
