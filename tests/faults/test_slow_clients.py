"""Slow clients (slowloris-style partial requests) do not stop the service answering others."""

import socket
import urllib.request

import pytest

from tests.faults.cluster import WebServer

pytestmark = pytest.mark.slow


def test_partial_requests_holding_every_thread_do_not_hang_the_service(database_url, redis_url):
    server = WebServer({"DASAN_DATABASE_URL": database_url, "DASAN_REDIS_URL": redis_url,
                        "DASAN_SECRET_KEY": "test-secret-key-0123456789",
                        "DASAN_CLIENT_READ_TIMEOUT_S": "2"})
    slow = []
    try:
        # More stalled requests than the 2 workers x 4 threads can hold at once.
        for _ in range(12):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"POST /api/v1/complaints HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
            slow.append(sock)
        # Not a speed check: the answer must come (the stalled reads time out with 408),
        # where a hang would hit the client timeout.
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health/live",
                                    timeout=60) as response:
            assert response.status == 200
        slow[0].settimeout(30)
        assert b" 408 " in slow[0].recv(200)
    finally:
        for sock in slow:
            sock.close()
        log = server.stop()
    assert "unhandled error" not in log
