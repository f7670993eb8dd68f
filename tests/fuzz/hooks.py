"""Corkboard's own check for the API fuzzer (tests/fuzz/run.sh): every error is a clear
RFC 9457 problem document (SPEC section 4), whatever the input was.

Schemathesis' built-in checks prove the rest: no 5xx (`not_a_server_error`), statuses, content
types and bodies as the OpenAPI document says.
"""

import json

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
