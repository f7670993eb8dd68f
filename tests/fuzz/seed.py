"""Prepares a fuzzing run (tests/fuzz/run.sh): signs in as the administrator, makes a token of
every scope, seeds one of each resource through the API, and writes Schemathesis' config so
that generated requests mostly name those resources (reaching the handlers' logic instead of
their 404). DELETE requests do not take seeded ids, so the seed mostly survives the run
(Schemathesis may still reuse an id it saw in a response).

Usage: seed.py BASE_URL EMAIL PASSWORD OUT_DIR. Writes OUT_DIR/schemathesis.toml and
OUT_DIR/protected-ids (the administrator's user id, session id and token id, which the run must
not change: tests/fuzz/hooks.py) and prints three lines: the token, the session cookie (`name=value`) and its
CSRF token.
"""

import http.cookiejar
import json
import sys
import time
import urllib.request

SCOPES = [
    "boards:read", "boards:write", "notes:read", "notes:write", "reminders:read",
    "reminders:write", "audit:read", "webhooks:manage", "users:manage",
]


class Api:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.headers = {}

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        for name, value in self.headers.items():
            request.add_header(name, value)
        with self.opener.open(request, timeout=30) as response:
            return json.load(response)


def main():
    base, email, password, out = sys.argv[1:5]
    api = Api(base)
    signed_in = api.call("POST", "/api/v1/auth/login", {"email": email, "password": password})
    csrf = signed_in["csrf_token"]
    cookie = next(f"{c.name}={c.value}" for c in api.jar)
    api.headers["x-csrf-token"] = csrf
    sessions = api.call("GET", "/api/v1/me/sessions")["items"]
    # The run's own identity: no request of the run may change or end it (hooks.py).
    protected = [signed_in["user"]["id"], next(s["id"] for s in sessions if s["current"])]
    made = api.call("POST", "/api/v1/me/tokens", {"name": "fuzz", "scopes": SCOPES})
    token = made["token"]
    protected.append(made["id"])
    api.headers = {"authorization": f"Bearer {token}"}

    ids = {}
    ids["webhook_id"] = api.call(
        "POST", "/api/v1/webhooks", {"url": "https://hooks.example.com/corkboard", "event_types": ["*"]}
    )["id"]
    ids["user_id"] = api.call(
        "POST", "/api/v1/users",
        {"email": "member@corkboard.test", "display_name": "Member", "password": "member password 1", "role": "member"},
    )["id"]
    board = ids["board_id"] = api.call("POST", "/api/v1/boards", {"name": "Fuzzed", "description": "seed"})["id"]
    api.call("POST", f"/api/v1/boards/{board}/members", {"user_id": ids["user_id"], "role": "editor"})
    ids["column_id"] = api.call("POST", f"/api/v1/boards/{board}/columns", {"name": "To do"})["id"]
    api.call("POST", f"/api/v1/boards/{board}/columns", {"name": "Done", "wip_limit": 5})
    ids["label_id"] = api.call("POST", f"/api/v1/boards/{board}/labels", {"name": "bug", "color": "#cc3333"})["id"]
    ids["card_id"] = api.call(
        "POST", f"/api/v1/boards/{board}/cards",
        {"title": "Seeded", "column_id": ids["column_id"], "labels": [ids["label_id"]], "assignees": [ids["user_id"]]},
    )["id"]
    ids["comment_id"] = api.call("POST", f"/api/v1/cards/{ids['card_id']}/comments", {"body": "first"})["id"]
    ids["note_id"] = api.call(
        "POST", "/api/v1/notes", {"title": "Seeded", "body": "words to search", "tags": ["seed"], "board_id": board}
    )["id"]
    ids["reminder_id"] = api.call(
        "POST", "/api/v1/reminders",
        {"title": "Weekly", "remind_at": "2030-01-07T09:00:00Z", "timezone": "Europe/Paris",
         "recurrence": "FREQ=WEEKLY;BYDAY=MO"},
    )["id"]
    # Due at once: its firing makes a notification.
    api.call("POST", "/api/v1/reminders", {"title": "Due", "remind_at": "2020-01-01T00:00:00Z", "timezone": "UTC"})
    # The events above reach the webhook within a poll interval: one of them is the delivery.
    for _ in range(100):
        deliveries = api.call("GET", f"/api/v1/webhooks/{ids['webhook_id']}/deliveries")["items"]
        if deliveries:
            ids["delivery_id"] = deliveries[0]["id"]
            break
        time.sleep(0.1)
    else:
        sys.exit("no webhook delivery was queued within 10 s")

    for _ in range(100):
        notifications = api.call("GET", "/api/v1/notifications")["items"]
        if notifications:
            break
        time.sleep(0.1)
    else:
        sys.exit("the due reminder made no notification within 10 s")
    # Paths name users and notifications by a parameter called `id` (and tokens and sessions, but
    # only to DELETE them, which takes no seeded id): it gets one of each.
    ids["id"] = [ids["user_id"], notifications[0]["id"]]

    lines = ["# Made by tests/fuzz/seed.py for one run.", ""]
    lines.append("[dictionaries]")
    for name, value in ids.items():
        values = ", ".join(f'"{v}"' for v in (value if isinstance(value, list) else [value]))
        lines.append(f"{name} = {{ values = [{values}] }}")
    lines += ["", "[[operations]]", 'exclude-method = "DELETE"', "[operations.parameters]"]
    for name in ids:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.9 }}')
    with open(f"{out}/schemathesis.toml", "w") as config:
        config.write("\n".join(lines) + "\n")
    with open(f"{out}/protected-ids", "w") as kept:
        kept.write("\n".join(protected) + "\n")
    print(token)
    print(cookie)
    print(csrf)


if __name__ == "__main__":
    main()
