"""The real segment-analytics-python 2.4.0 and rudder-sdk-python clients send 10,000 mixed calls;
every one is stored exactly once with its fields intact."""
import json
import sqlite3
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_real_sdks_store_every_call_exactly_once(server_factory, sdk_python, workdir):
    server = server_factory({"segment-app": "segment-write-key-123", "rudder-app": "rudder-write-key-456"}).start()
    expectations = workdir / "sent.jsonl"
    subprocess.run(
        [sdk_python, str(HERE / "sdk_sender.py"), server.url, "segment-write-key-123", "rudder-write-key-456", str(expectations), "5000"],
        check=True, timeout=600,
    )
    sent = [json.loads(line) for line in expectations.read_text().splitlines()]
    assert len(sent) == 10_000

    db = sqlite3.connect(server.db)
    rows = db.execute("SELECT source, message_id, type, user_id, payload FROM events").fetchall()
    assert len(rows) == 10_000, "every call is stored, and only once"
    by_id = {}
    for source, message_id, kind, user_id, payload in rows:
        assert message_id not in by_id, f"{message_id} stored twice"
        by_id[message_id] = (source, kind, user_id, json.loads(payload))

    for expected in sent:
        source, kind, user_id, payload = by_id[expected["messageId"]]
        assert source == ("segment-app" if expected["sdk"] == "segment" else "rudder-app")
        assert kind == expected["type"] == payload["type"]
        assert user_id == expected["userId"] == payload["userId"]
        assert "receivedAt" in payload and "writeKey" not in payload
        assert payload["context"]["library"]["name"]
        for field in ("event", "name", "category", "groupId", "previousId", "properties"):
            if field in expected:
                assert payload[field] == expected[field], (field, payload)
        if "traits" in expected:
            if expected["type"] == "identify" and expected["sdk"] == "rudder":
                # RudderStack's client sends identify traits only in context.traits.
                assert payload["context"]["traits"] == expected["traits"]
            else:
                assert payload["traits"] == expected["traits"]

    counters = dict(db.execute("SELECT source, accepted FROM source_counters").fetchall())
    assert counters == {"segment-app": 5000, "rudder-app": 5000}
