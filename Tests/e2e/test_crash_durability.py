"""kill -9 during sustained load, then restart: every event whose request was answered 200 is
in the store."""
import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import base64

KEY = "crash-write-key-789"


def sender(url, worker, acked, stop):
    auth = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    n = 0
    while not stop.is_set():
        ids = [f"w{worker}-{n}-{i}" for i in range(50)]
        n += 1
        body = json.dumps({"batch": [{"type": "track", "userId": f"u{worker}", "event": "Tick", "messageId": m,
                                      "properties": {"n": n}} for m in ids]}).encode()
        request = urllib.request.Request(url + "/v1/batch", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": auth})
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                if reply.status == 200:
                    acked.extend(ids)
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.01)  # the server is gone: nothing in this request was acknowledged


def test_kill_9_loses_no_acknowledged_event(server_factory):
    server = server_factory({"app": KEY}).start()
    acked, stop = [], threading.Event()
    threads = [threading.Thread(target=sender, args=(server.url, w, acked, stop)) for w in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    server.kill9()
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acked) > 1000, "the load ran long enough to matter"

    server.start()  # restart on the same database: recovery must not fail
    stored = {row[0] for row in sqlite3.connect(server.db).execute("SELECT message_id FROM events")}
    missing = [m for m in acked if m not in stored]
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {missing[:3]}"
