"""Runs inside the SDK virtualenv: sends mixed calls through the real Segment and RudderStack
Python clients and writes what it sent (as JSON lines) for the test to compare."""
import json
import sys
import uuid

from segment.analytics import Client as SegmentClient
from rudderstack.analytics.client import Client as RudderClient

url, segment_key, rudder_key, out_path, per_sdk = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
errors = []


def on_error(error, items):
    errors.append(f"{error!r} for {len(items)} items")


def calls(sdk, client):
    for i in range(per_sdk):
        user = f"{sdk}-user-{i % 700}"
        message_id = f"{sdk}-{uuid.uuid4()}"
        kind = ["identify", "track", "track", "page", "screen", "group", "alias"][i % 7]
        traits = {"email": f"{user}@example.com", "name": "Zoë 名前 ✓", "plan": "pro", "logins": i, "score": 0.5 + i,
                  "address": {"city": "Zürich", "zip": "8001"}, "tags": ["a", "b"]}
        properties = {"revenue": 19.99, "currency": "eur", "count": i, "nested": {"ok": True, "none": None}}
        expected = {"messageId": message_id, "type": kind, "userId": user, "sdk": sdk}
        if kind == "identify":
            client.identify(user, traits, message_id=message_id)
            expected["traits"] = traits
        elif kind == "track":
            client.track(user, "Order Completed", properties, message_id=message_id)
            expected.update(event="Order Completed", properties=properties)
        elif kind == "page":
            client.page(user, "Docs", "Pricing", properties, message_id=message_id)
            expected.update(name="Pricing", category="Docs", properties=properties)
        elif kind == "screen":
            client.screen(user, "App", "Home", properties, message_id=message_id)
            expected.update(name="Home", properties=properties)
        elif kind == "group":
            client.group(user, f"org-{i % 50}", {"name": "Acme", "employees": 42}, message_id=message_id)
            expected.update(groupId=f"org-{i % 50}", traits={"name": "Acme", "employees": 42})
        else:
            client.alias(f"anon-{i}", user, message_id=message_id)
            expected.update(previousId=f"anon-{i}")
        yield expected


sent = []
segment = SegmentClient(segment_key, host=url, on_error=on_error, max_queue_size=100_000, upload_size=100)
sent += list(calls("segment", segment))
segment.flush()
segment.join()

rudder = RudderClient(rudder_key, host=url, on_error=on_error, max_queue_size=100_000, upload_size=100)
sent += list(calls("rudder", rudder))
rudder.flush()
rudder.join()

with open(out_path, "w") as out:
    for item in sent:
        out.write(json.dumps(item) + "\n")
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
