"""`onramp sandbox`: HTTPS plumbing, routing, fault injection and the command-line entry point.

Stdlib only (plus the crypto libraries): the CLI starts it before Django is loaded.
"""

from __future__ import annotations

import argparse
import random
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from onramp.sandbox.certs import SigningKey, server_context
from onramp.sandbox.control import Control
from onramp.sandbox.errors import aad_fault, graph_fault
from onramp.sandbox.graph import Graph
from onramp.sandbox.identity import Identity
from onramp.sandbox.powerdns import PREFIX as POWERDNS_PREFIX
from onramp.sandbox.powerdns import PowerDns
from onramp.sandbox.state import World
from onramp.sandbox.web import Request, Response, json_response, parse_query

MAX_BODY = 1024 * 1024
_SECURE_RANDOM = random.SystemRandom()


def _is_discovery(path: str) -> bool:
    """Discovery documents and keys: slowed by latency, never failed (clients would report a
    configuration error instead of the throttle under test)."""
    return path.endswith(("/.well-known/openid-configuration", "/discovery/v2.0/keys")) or (
        path == "/common/discovery/instance"
    )


class Sandbox:
    """Routes a request to identity, Graph or the admin API, applying faults and logging it."""

    def __init__(self, world: World, key: SigningKey) -> None:
        self.world = world
        self.identity = Identity(world, key)
        self.graph = Graph(world, key)
        self.control = Control(world)
        self.powerdns = PowerDns(world)

    def dispatch(self, request: Request) -> Response:
        if request.path == "/_sandbox" or request.path.startswith("/_sandbox/"):
            return self.control.handle(request)  # not logged: the log is about client traffic
        is_graph = request.path == "/graph" or request.path.startswith("/graph/")
        is_dns = request.path.startswith(f"{POWERDNS_PREFIX}/")
        generation = self.world.generation
        try:
            response = None if is_dns else self._faulted(request, is_graph)
            if is_dns:
                response = self.powerdns.handle(request)
            elif response is None:
                handler = self.graph if is_graph else self.identity
                response = handler.handle(request)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = json_response(500, {"error": "internal sandbox error"})
        kind = "dns" if is_dns else "graph" if is_graph else "identity"
        self.world.record(request.method, request.path, response.status, generation, kind)
        return response

    def _faulted(self, request: Request, is_graph: bool) -> Response | None:
        """Sleep and/or fail as the current faults say; latency sleeps only this thread."""
        faults = self.world.faults
        if not faults.applies("graph" if is_graph else "token"):
            return None
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if faults.status is None or _is_discovery(request.path):
            return None
        if _SECURE_RANDOM.random() >= faults.rate:
            return None
        client_request_id = request.headers.get("client-request-id")
        if is_graph:
            request_id = str(uuid.uuid4())
            error = graph_fault(faults.status, faults.retry_after)
            return Graph.error_response(error, request_id, client_request_id or request_id)
        return aad_fault(faults.status, faults.retry_after, client_request_id)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients pool connections
    server_version = "onramp-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True  # avoids delayed-ACK stalls on keep-alive connections
    wbufsize = -1  # buffered; BaseHTTPRequestHandler flushes after each response
    timeout = 300  # idle keep-alive connections are dropped after this
    server: SandboxServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: every request is in the sandbox's request log instead."""

    def _serve(self) -> None:
        plain = not isinstance(self.connection, ssl.SSLSocket)
        if plain and not self.path.startswith(f"{POWERDNS_PREFIX}/"):
            self.close_connection = True
            message = f"this port speaks HTTPS; plain HTTP serves only {POWERDNS_PREFIX}/"
            self._write(json_response(400, {"error": message}))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY or "Transfer-Encoding" in self.headers:
            self.close_connection = True
            self._write(json_response(413 if length > MAX_BODY else 400, {"error": "bad body"}))
            return
        body = self.rfile.read(length) if length else b""
        raw_path, _, query = self.path.partition("?")
        host = self.headers.get("Host", "")
        base_url = f"https://{host}" if host and "/" not in host else self.server.base_url
        if plain:
            base_url = base_url.replace("https://", "http://", 1)
        request = Request(
            method=self.command,
            path=unquote(raw_path) if "%" in raw_path else raw_path,
            query=parse_query(query),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            base_url=base_url,
            client_ip=self.client_address[0],
        )
        self._write(self.server.app.dispatch(request))

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


_TLS_HANDSHAKE = b"\x16"  # the first byte of a TLS ClientHello


class SandboxServer(ThreadingHTTPServer):
    """Threaded HTTPS server; the TLS handshake runs in the worker thread, not the accept loop.

    A connection that does not open with a TLS handshake is served as plain HTTP, for the
    DNS-hosting API alone (PowerDNS serves its API without TLS; lexicon then needs no CA)."""

    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, host: str, port: int, context: ssl.SSLContext, app: Sandbox) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.context = context
        self.app = app
        super().__init__((host, port), _Handler)
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"https://{shown}:{self.server_address[1]}"

    def finish_request(self, request: socket.socket, client_address: tuple) -> None:  # type: ignore[override]
        request.settimeout(10)  # bound the handshake; the handler sets its own idle timeout
        try:
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first and first != _TLS_HANDSHAKE:
            _Handler(request, client_address, self)  # plain HTTP, as PowerDNS's API is served
            return
        try:
            connection = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            _Handler(connection, client_address, self)
        finally:
            connection.close()

    def handle_error(self, request: object, client_address: tuple) -> None:
        """Peers hanging up mid-request are routine; anything else is worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError | TimeoutError):
            traceback.print_exc(file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="onramp sandbox",
        description="Serve a local HTTPS stand-in for Microsoft's identity platform and Graph.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    parser.add_argument("--data-dir", default="./var/sandbox", type=Path)
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir.resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        context, ca_path = server_context(data_dir, args.host)
        app = Sandbox(World(data_dir / "state.json"), SigningKey.load_or_create(data_dir))
        server = SandboxServer(args.host, args.port, context, app)
    except (OSError, ValueError) as error:
        print(f"onramp sandbox: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True)
    worker.start()
    print(f"SANDBOX {server.base_url} CA={ca_path}", flush=True)
    while not stop.wait(1):
        pass
    server.shutdown()
    server.server_close()
    app.world.flush()
    return 0
