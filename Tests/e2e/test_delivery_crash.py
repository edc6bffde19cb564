"""kill -9 of `sluice serve` while it delivers, then a restart: no acknowledged event is lost,
and the sandbox sees at most the in-flight bound of duplicates."""
import base64
import json
import subprocess
import threading
import time
import urllib.request
from collections import Counter

from conftest import Server, free_port, sluice_binary

KEY = "delivery-crash-key"
IN_FLIGHT = 8
TOKEN = "sandboxintercomaccesstoken00000000000000"


def post(url, body, auth=None):
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth}:".encode()).decode()
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.status, reply.read()


def sandbox_state(base, destination):
    with urllib.request.urlopen(f"{base}/_sandbox/{destination}/state", timeout=10) as reply:
        return json.loads(reply.read())


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_during_delivery(server_factory, workdir):
    sandbox_port = free_port()
    sandbox = subprocess.Popen([sluice_binary(), "sandbox", "--port", str(sandbox_port), "--limit-scale", "100"],
                               stdout=open(workdir / "sandbox.log", "wb"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{sandbox_port}"
        wait_for(lambda: sandbox.poll() is None and _reachable(base + "/_sandbox"), 30, "the sandbox")
        settings = {"intercom": {"enabled": True, "apiKey": TOKEN, "appId": "sandbox1", "baseURL": base + "/intercom"}}
        (workdir / "settings.json").write_text(json.dumps(settings))
        subprocess.run([sluice_binary(), "settings", "import", str(workdir / "settings.json"), "--db", str(workdir / "sluice.sqlite")],
                       check=True, capture_output=True)

        server = server_factory({"app": KEY}, extra=["--max-in-flight", str(IN_FLIGHT)]).start()
        users = [f"user-{n}" for n in range(40)]
        post(server.url + "/v1/batch", {"batch": [{"type": "identify", "userId": u, "messageId": f"id-{u}",
                                                    "traits": {"email": f"{u}@example.com"}} for u in users]}, KEY)
        wait_for(lambda: len(sandbox_state(base, "intercom")["contacts"]) == len(users), 60, "identifies at the sandbox")

        acked, stop = [], threading.Event()

        def sender(worker):
            n = 0
            while not stop.is_set():
                # Intercom's documented 166 requests per 10 s paces delivery, so keep the load modest.
                seqs = [f"{worker}-{n}-{i}" for i in range(5)]
                n += 1
                body = {"batch": [{"type": "track", "userId": users[hash(s) % len(users)], "event": "Tick",
                                   "messageId": f"m-{s}", "properties": {"seq": s}} for s in seqs]}
                try:
                    status, _ = post(server.url + "/v1/batch", body, KEY)
                    if status == 200:
                        acked.extend(seqs)
                    time.sleep(0.1)
                except OSError:
                    time.sleep(0.02)

        threads = [threading.Thread(target=sender, args=(w,)) for w in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(2.5)
        server.kill9()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert len(acked) > 100

        server.start()

        def delivered():
            return Counter(e.get("metadata", {}).get("seq") for e in sandbox_state(base, "intercom")["events"])

        try:
            wait_for(lambda: all(s in delivered() for s in acked), 90, "every acknowledged track at the sandbox")
        except AssertionError:
            seen = delivered()
            missing = [s for s in acked if s not in seen]
            dead = subprocess.run([sluice_binary(), "deadletters", "list", "--db", str(server.db)], capture_output=True, text=True).stdout
            raise AssertionError(f"{len(missing)} of {len(acked)} acknowledged tracks missing, e.g. {missing[:3]}; "
                                 f"sandbox has {len(seen)}; dead letters: {dead[:500]}; log: {server.log.read_text()[-1500:]}")
        counts = delivered()
        duplicates = sum(c - 1 for s, c in counts.items() if c > 1)
        assert duplicates <= IN_FLIGHT, f"{duplicates} duplicates; the in-flight bound is {IN_FLIGHT}"
    finally:
        sandbox.kill()
        sandbox.wait()


def _reachable(url):
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False
