"""The browser tests' server closes every response body, even when the browser resets the connection."""
import gc
import io
import random
import socket
import struct
import threading
import time

from flask import Flask, send_file
from werkzeug.serving import make_server

from tests.browser.conftest import closing_body


class TrackedFile(io.BytesIO):
    """A photo's file that notes when it is collected without having been closed."""
    leaked = []

    def __del__(self):
        if not self.closed:
            TrackedFile.leaked.append(self)


def test_a_photo_request_reset_by_the_browser_leaves_no_file_open():
    app = Flask(__name__)
    app.get("/photo")(lambda: send_file(TrackedFile(b"\xff\xd8" + bytes(3000)), mimetype="image/jpeg"))
    server = make_server("127.0.0.1", 0, closing_body(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    TrackedFile.leaked.clear()
    rng = random.Random(15)
    try:
        for _ in range(60):  # a closed tab: the request sent, the connection reset a few milliseconds later
            connection = socket.create_connection(("127.0.0.1", server.server_port))
            connection.sendall(b"GET /photo HTTP/1.1\r\nHost: localhost\r\n\r\n")
            time.sleep(rng.random() * 0.01)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()
        time.sleep(0.3)
    finally:
        server.shutdown()
    gc.collect()
    assert TrackedFile.leaked == []
