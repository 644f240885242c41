#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus from real answers of the provider sandbox.

    cargo run -p advisor-desk-cli -- sandbox serve --port 8391 &   # then:
    python3 fuzz/make_seeds.py http://127.0.0.1:8391

Every answer is recorded as the sandbox sent it (status and body). `provider_answers` seeds are
the status as two little-endian bytes the target maps back to it, then the body;
`provider_decoders` seeds are the JSON bodies alone. The seeds are committed: `./dev fuzz` and
`./dev test` start from them (long lists shortened, see `shrink`), so the fuzzers begin at real-shaped answers, not at empty input.
"""
import hashlib
import json
import pathlib
import sys
import time
import urllib.error
import urllib.request

# The sandbox's published test keys (crates/sandbox/src/lib.rs): not secrets of any real service.
FLANKS_ID = "sbx-flanks-client-advisor-desk"
FLANKS_SECRET = "sbx-secret-flanks-client-7f3c9e21d84b4a0f9c6e5b2a1d0c8f47"
FLINKS_CUSTOMER = "43387ca6-0391-4c82-857d-70d95f087ecb"
FLINKS_AUTH_KEY = "sbx-secret-flinks-auth-key-2c8e4f1a9b7d4e6c8a0f3b5d7e9c1a2b"
FLINKS_API_KEY = "sbx-secret-flinks-api-key-5e1d9c7b3a2f4e8d9c6b0a1f2e3d4c5b"
NOTABLE = [200, 201, 202, 203, 204, 400, 401, 404, 429, 500]

SEEDS = pathlib.Path(__file__).resolve().parent / "seeds"


def call(base, method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def status_prefix(status):
    """The two bytes `provider_answers` maps back to `status` (see its `status` fn)."""
    if status in NOTABLE:
        n = NOTABLE.index(status) * 2
    else:
        n = (status - 100) * 2 + 1
    return n.to_bytes(2, "little")


def save(target, content):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(content).hexdigest()).write_bytes(content)


def shrink(body, keep=12):
    """Long lists cut to their first `keep` items: a seed must fit the fuzzers' max_len and
    stay fast to run; the shapes are what matter, not the volume."""
    try:
        value = json.loads(body)
    except ValueError:
        return body

    def cut(v):
        if isinstance(v, list):
            return [cut(x) for x in v[:keep]]
        if isinstance(v, dict):
            return {k: cut(x) for k, x in v.items()}
        return v

    return json.dumps(cut(value), ensure_ascii=False).encode()


def record(answers, status, body):
    answers.append((status, body))
    body = shrink(body)
    save("provider_answers", status_prefix(status) + body)
    if body.strip().startswith((b"{", b"[")):
        save("provider_decoders", body)


def flanks(base, book, answers):
    status, body = call(base, "POST", "/v0/token", {
        "client_id": FLANKS_ID, "client_secret": FLANKS_SECRET, "grant_type": "client_credentials"})
    record(answers, status, body)
    auth = {"authorization": "Bearer " + json.loads(body)["access_token"]}
    record(answers, *call(base, "POST", "/v0/token", {"client_id": "x", "client_secret": "y"}))
    record(answers, *call(base, "POST", "/v0/links/list-links", {}, {"authorization": "Bearer nope"}))
    token = next(c["token"] for c in book if c["provider"] == "flanks")
    cred = {"credentials_token": token}
    for method, path, body in [
        ("GET", "/v0/bank/available", None),
        ("POST", "/v0/links/create-link", {"redirect_uri": "advisordesk://link/callback", "name": "seed"}),
        ("POST", "/v0/links/list-links", {}),
        ("GET", "/v0/platform/link", None),
        ("POST", "/v0/platform/link", {"code": "sbx-code-not-issued"}),
        ("POST", "/connect/v2/connectors/list-connectors", {"query": {}}),
        ("POST", "/connect/v2/sessions/create-session",
         {"configuration": {"redirect_url": "advisordesk://link/callback"}}),
        ("POST", "/connect/v2/sessions/list-sessions", {"query": {"session_id_in": []}}),
        ("POST", "/v0/bank/credentials/list", {"page": 1}),
        ("POST", "/v0/bank/credentials/status", cred),
        ("PUT", "/v0/bank/credentials/status", dict(cred, force="sca")),
        ("POST", "/v0/bank/credentials/status", {"credentials_token": "sbx-cred-unknown"}),
        ("POST", "/v0/bank/credentials/account", {"credentials_token": "sbx-cred-unknown"}),
    ]:
        record(answers, *call(base, method, path, body, auth))
    for product in ["portfolio", "investment", "investment/transaction", "account", "data", "card",
                    "card/transaction", "liability", "liability/transaction", "auth", "holder", "all"]:
        record(answers, *call(base, "POST", "/v0/bank/credentials/" + product, cred, auth))


def flinks(base, book, answers):
    root = f"/v3/{FLINKS_CUSTOMER}/BankingServices/"
    login_id = next(c["token"] for c in book if c["provider"] == "flinks")

    def authorize_token():
        status, body = call(base, "POST", root + "GenerateAuthorizeToken", {},
                            {"flinks-auth-key": FLINKS_AUTH_KEY})
        record(answers, status, body)
        return json.loads(body)["Token"]

    record(answers, *call(base, "POST", root + "GenerateAuthorizeToken", {}, {"flinks-auth-key": "nope"}))
    status, body = call(base, "POST", root + "Authorize",
                        {"LoginId": login_id, "MostRecentCached": True, "Save": True},
                        {"flinks-auth-key": authorize_token()})
    record(answers, status, body)
    request_id = json.loads(body)["RequestId"]
    record(answers, *call(base, "POST", root + "Authorize",
                          {"LoginId": login_id, "MostRecentCached": False, "Save": True},
                          {"flinks-auth-key": authorize_token()}))
    record(answers, *call(base, "POST", root + "Authorize", {"LoginId": "unknown-login"},
                          {"flinks-auth-key": authorize_token()}))
    record(answers, *call(base, "POST", root + "Authorize", {"LoginId": login_id},
                          {"flinks-auth-key": "spent"}))
    api = {"x-api-key": FLINKS_API_KEY}
    detail = {"RequestId": request_id, "WithAccountIdentity": True, "WithTransactions": True,
              "DaysOfTransactions": "Days90"}
    record(answers, *call(base, "POST", root + "GetAccountsDetail", detail, api))
    for _ in range(30):  # 202 while the sandbox "processes"; poll as the client does
        status, body = call(base, "GET", root + "GetAccountsDetailAsync/" + request_id, None, api)
        record(answers, status, body)
        if status != 202:
            break
        time.sleep(1)
    record(answers, *call(base, "POST", root + "GetAccountsSummary", {"RequestId": request_id}, api))
    record(answers, *call(base, "POST", root + "GetAccountsDetail", {"RequestId": "unknown"}, api))
    record(answers, *call(base, "DELETE", root + "DeleteCard/unknown-login", None, api))


# Callbacks of every shape the providers redirect with (crates/core/src/links/callback.rs).
STATE = "3f9c0d1e2b4a59687f0e1d2c3b4a59687f0e1d2c3b4a59687f0e1d2c3b4a5968"
CALLBACKS = [
    f"advisordesk://link/callback?code=sbx-code-0b1c2d3e4f&state={STATE}",
    f"advisordesk://link/callback?code=sbx-code-0b1c2d3e4f&delayed=true&state={STATE}",
    f"advisordesk://link/callback?session_id=ses_4f2a&state={STATE}",
    f"advisordesk://link/callback?state={STATE}&loginId=8b35f6c8-e7b6-41d3-98f8-08d68b7f8d31"
    "&institution=FlinksCapital",
    "advisordesk://link/callback?error=INVALID_CREDENTIALS&client_ref=7",
    f"advisordesk://link/callback?state={STATE}&error=ABORTED%20BY%20USER&extra=a+b",
    "advisordesk://link/callback?code=a&code=b",
    "advisordesk://other/place?code=x",
]


def main():
    for url in CALLBACKS:
        save("callback_url", url.encode())
    base = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8391"
    status, body = call(base, "GET", "/_sandbox/book")
    book = json.loads(body)
    answers = []
    flanks(base, book, answers)
    flinks(base, book, answers)
    statuses = sorted({s for s, _ in answers})
    print(f"{len(answers)} answers recorded (statuses {statuses}) into {SEEDS}")


if __name__ == "__main__":
    main()
