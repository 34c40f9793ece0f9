"""Sends identify, group, track and page calls to Tenure with the official
Segment Python library, unmodified. Usage: send_events.py HOST WRITE_KEY GZIP(0|1) PREFIX

Prints one JSON line per message sent: {"messageId", "type", "timestamp"}.
"""
import json
import sys
from datetime import datetime, timezone

import segment.analytics as analytics_module
from segment.analytics import Client

host, key, use_gzip, prefix = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
errors = []
client = Client(
    write_key=key,
    host=host,
    gzip=use_gzip,
    sync_mode=False,
    upload_size=10,
    max_retries=3,
    on_error=lambda e, batch: errors.append(str(e)),
)

sent = []


def at(day, hour):
    return datetime(2026, 3, day, hour, 0, 0, tzinfo=timezone.utc)


def note(kind, message_id, ts):
    sent.append({"messageId": message_id, "type": kind, "timestamp": ts.isoformat()})


acct = prefix + "-acct"
client.group(
    user_id=prefix + "-u1",
    group_id=acct,
    traits={"name": "Py Corp", "plan": "enterprise", "mrr": 990.5, "seats_purchased": 25},
    timestamp=at(1, 9),
    message_id=prefix + "-group",
)
note("group", prefix + "-group", at(1, 9))
for i, user in enumerate(["u1", "u2"]):
    mid = "%s-identify-%s" % (prefix, user)
    client.identify(
        user_id=prefix + "-" + user,
        traits={"email": "%s@py.test" % user, "name": user.upper(), "role": "analyst",
                "seat_assigned_at": "2026-03-01T00:00:00Z", "groups": ["emea"]},
        context={"groupId": acct},
        timestamp=at(1, 10 + i),
        message_id=mid,
    )
    note("identify", mid, at(1, 10 + i))
for i in range(25):
    mid = "%s-track-%d" % (prefix, i)
    client.track(
        user_id=prefix + ("-u1" if i % 2 else "-u2"),
        event=["Company Viewed", "Insight Shared", "Alert Email Opened"][i % 3],
        properties={"i": i, "channel": "email"},
        timestamp=at(2 + i % 20, 12),
        message_id=mid,
    )
    note("track", mid, at(2 + i % 20, 12))
mid = prefix + "-page"
client.page(user_id=prefix + "-u1", name="Portal Viewed", properties={"path": "/portal"},
            timestamp=at(5, 8), message_id=mid)
note("page", mid, at(5, 8))
client.flush()
client.join()
if errors:
    print("errors: %s" % errors, file=sys.stderr)
    sys.exit(1)
for s in sent:
    print(json.dumps(s))
