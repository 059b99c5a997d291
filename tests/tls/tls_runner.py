"""Runs the shared acceptance suite's runner.py over TLS, unchanged:

    python3 tests/tls/tls_runner.py RUNNER.PY [runner.py arguments...]

Before runner.py starts, http.client.HTTPConnection becomes an HTTPSConnection with an
unverified context (the test certificate is self-signed), and socket.create_connection
wraps connections to the daemons' ports (--base, --base2) in TLS, for the raw-socket
tests (malformed requests, slow clients, server-sent events). Connections to any other
port are left alone. Prints the negotiated protocol of the first connection."""

import http.client
import runpy
import socket
import ssl
import sys
from urllib.parse import urlsplit

CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE

_create_connection = socket.create_connection
_reported = []


def _note(sock):
    if not _reported:
        _reported.append(sock.version())
        print(f"tls_runner: first connection: {sock.version()} {sock.cipher()[0]}", flush=True)


class HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port=None, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, **kw):
        kw.setdefault("context", CTX)
        super().__init__(host, port, timeout=timeout, **kw)
        self._create_connection = _create_connection  # TLS comes from HTTPSConnection itself

    def connect(self):
        super().connect()
        _note(self.sock)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    runner = sys.argv[1]
    argv = sys.argv[2:]
    ports = set()
    for i, arg in enumerate(argv):
        for flag in ("--base", "--base2"):
            value = None
            if arg == flag and i + 1 < len(argv):
                value = argv[i + 1]
            elif arg.startswith(flag + "="):
                value = arg.split("=", 1)[1]
            if value:
                ports.add(urlsplit(value).port)

    def create_connection(address, *args, **kw):
        sock = _create_connection(address, *args, **kw)
        if address[1] not in ports:
            return sock
        try:
            tls = CTX.wrap_socket(sock, server_hostname=address[0])
        except BaseException:
            sock.close()
            raise
        _note(tls)
        return tls

    http.client.HTTPConnection = HTTPSConnection
    socket.create_connection = create_connection
    sys.argv = [runner] + argv
    try:
        runpy.run_path(runner, run_name="__main__")
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
