"""Corkboard's own checks for the API fuzzer (tests/fuzz/run.sh): every error is a clear
RFC 9457 problem document (SPEC section 4), whatever the input was; and a request the OpenAPI
document calls valid is refused only for what a schema cannot say.

Schemathesis' built-in checks prove the rest: no 5xx (`not_a_server_error`), statuses, content
types, headers and bodies as the document says, invalid requests refused
(`negative_data_rejection`), 405 for undeclared methods.
"""

import json
import os
import re
import uuid

import schemathesis

# The members every problem document has, with their JSON types.
REQUIRED = {
    "type": str,
    "title": str,
    "status": int,
    "detail": str,
    "instance": str,
    "code": str,
    "request_id": str,
}


@schemathesis.check
def problem_document(ctx, response, case):
    """A 4xx or 5xx answer is `application/problem+json` with every member, its status and
    code matching, and a non-blank detail; a 422 names the refused fields."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(f"{response.status_code} answered with {content_type!r}, not a problem document")
    try:
        problem = json.loads(response.content)
    except ValueError as error:
        raise AssertionError(f"the problem document is not JSON: {error}") from None
    if not isinstance(problem, dict):
        raise AssertionError("the problem document is not an object")
    for member, kind in REQUIRED.items():
        if not isinstance(problem.get(member), kind):
            raise AssertionError(f"the problem document has no {kind.__name__} {member!r}: {problem}")
    if problem["status"] != response.status_code:
        raise AssertionError(f"the problem says status {problem['status']}, the response {response.status_code}")
    if not problem["detail"].strip():
        raise AssertionError(f"the problem's detail is blank: {problem}")
    if not problem["type"].startswith("urn:corkboard:problem:"):
        raise AssertionError(f"the problem's type is not ours: {problem['type']}")
    if response.status_code == 422 and problem["code"] == "VALIDATION_FAILED" and not problem.get("errors"):
        raise AssertionError(f"a validation problem names no field: {problem}")
    return None


# Why the server may refuse a request that its document calls valid (400 or 422). Each is a rule
# no JSON Schema can state; anything else means the document is laxer than the server.
UNSAYABLE_CODES = {
    # A cursor is opaque and signed: only one the API issued for that list is accepted.
    "INVALID_CURSOR",
}
UNSAYABLE_FIELD_ERRORS = [
    # References to other resources: whether that board, column, card, label, member or user
    # exists, and where.
    re.compile(
        r"no such |is not a member of this board|is not a label of this board|is not on that board"
        r"|that you can see|is on the card's board"
    ),
    # Relations to the clock or to another field.
    re.compile(r"must be in the future|must be earlier than"),
    # The IANA time zone database and the RRULE grammar.
    re.compile(r"is not an IANA time zone name|^recurrence:"),
    # Where a webhook may point: names that resolve to loopback, private or link-local addresses;
    # and the host and port grammar (IDNA, IP literals, ports up to 65535).
    re.compile(r"must not point at a loopback, private or link-local address"),
    re.compile(
        r"^url: not an absolute URL: (empty host|invalid port number|invalid international domain name"
        r"|invalid IPv4 address|invalid IPv6 address|invalid domain character)"
    ),
    # No text anywhere may hold U+0000 (PostgreSQL cannot store it); the document's patterns do
    # not repeat that for every string.
    re.compile(r"must not contain NUL"),
]

# The document's pattern for `If-Match`.
IF_MATCH = re.compile(r'\*|(W/)?"[1-9][0-9]{0,17}"')


@schemathesis.check
def schema_valid_accepted(ctx, response, case):
    """A request generated as valid is not refused as malformed (400) or invalid (422), but for
    the reasons above."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        problem = {}
    code = problem.get("code")
    if code in UNSAYABLE_CODES:
        return None
    if code == "INVALID_IF_MATCH" and not IF_MATCH.fullmatch((case.headers or {}).get("If-Match", "")):
        # Schemathesis labels some requests valid whose header breaks the document's pattern.
        return None
    errors = problem.get("errors") or []
    if code == "VALIDATION_FAILED" and errors:
        said = [f"{e.get('field')}: {e.get('message')}" for e in errors]
        if all(any(rule.search(s) for rule in UNSAYABLE_FIELD_ERRORS) for s in said):
            return None
    raise AssertionError(
        f"a request the document calls valid was refused with {response.status_code} {code}: "
        f"{problem.get('detail')} {errors or ''}"
    )


def _protected_ids():
    path = os.environ.get("FUZZ_PROTECTED_IDS")
    if not path:
        return frozenset()
    with open(path) as ids:
        return frozenset(line.strip() for line in ids if line.strip())


# The run's own user, session and token (tests/fuzz/seed.py): a generated request that would
# change or end them (a new password or role for the administrator, its session or token revoked)
# names another id instead, so the run keeps its credentials to the end.
PROTECTED_IDS = _protected_ids()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """A valid `Idempotency-Key` is made unique: the generator repeats short keys ("0") with
    other bodies, which the API rightly refuses as a reused key (422) before the handler runs.
    Keys of requests generated as invalid are sent as generated. Writes aimed at the run's own
    identity are aimed at an unknown id."""
    headers = case.headers or {}
    if case.meta is not None and case.meta.generation.mode.is_positive and "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    if case.method.upper() != "GET" and case.path_parameters:
        for name, value in case.path_parameters.items():
            if str(value) in PROTECTED_IDS:
                case.path_parameters[name] = str(uuid.uuid4())
