#!/usr/bin/env bash
# Fails when the crate graph breaks the house rules of shared/STYLE.md §1:
#   - a domain crate reaches a framework/IO crate or another domain crate (kernel is shared);
#   - an adapter crate reaches another adapter crate;
#   - anything but `app` and `tests` reaches `app`.
# "Reaches" means directly or transitively, through normal and build dependencies; a workspace
# crate's own dev-dependencies count too (its tests must obey the same rules), but not those of
# the crates below it, exactly as `cargo tree` walks them.
#
# The graph comes from `cargo metadata` (resolves the lock file, builds nothing) with every
# feature on, so an optional dependency behind a feature is checked as well.
# CHECK_ARCH_METADATA=path.json reads a saved `cargo metadata` document instead (for testing).
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ -n "${CHECK_ARCH_METADATA:-}" ]]; then
  metadata=$(cat "$CHECK_ARCH_METADATA")
else
  host=$(rustc -vV | sed -n 's/^host: //p')
  args=(metadata --format-version 1 --all-features --filter-platform "$host")
  # Offline first: no network needed when the registry cache already holds every manifest.
  if ! metadata=$(cargo "${args[@]}" --offline 2>/dev/null); then
    metadata=$(cargo "${args[@]}")
  fi
fi

python3 - <<'PY' 3<<<"$metadata"
import fnmatch
import json
import os
import sys
from collections import deque

# ---- the rules: edit these lists as the house grows ----------------------------------------
# Domain crates. Names not present in the workspace are simply ignored.
DOMAIN = ["kernel", "identity", "board", "notes", "reminders", "audit", "dashboard", "connector"]
# Domain crates every other crate may depend on.
SHARED_DOMAIN = ["kernel"]
# What no domain crate may reach (fnmatch patterns on package names).
DOMAIN_FORBIDDEN = [
    "sea-orm", "sea-orm-migration", "sqlx", "sqlx-*",
    "axum", "axum-extra", "hyper", "tower-http",
    "redis", "deadpool-redis",
    "reqwest", "openidconnect",
]
# Adapter crates: workspace crates whose name matches.
ADAPTER_PATTERN = "adapter-*"
# The composition root, and who may depend on it.
APP = "app"
APP_DEPENDENTS = ["app", "corkboard-tests"]
# ---------------------------------------------------------------------------------------------

meta = json.load(os.fdopen(3))
name_of = {p["id"]: p["name"] for p in meta["packages"]}
members = {name_of[i]: i for i in meta["workspace_members"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}


def edges(pkg_id, first_hop):
    """Dependency ids of pkg_id: normal and build edges, plus dev edges on the first hop."""
    for dep in nodes[pkg_id]["deps"]:
        kinds = {k["kind"] for k in dep.get("dep_kinds", [{"kind": None}])}
        if kinds & {None, "build"} or (first_hop and "dev" in kinds):
            yield dep["pkg"], kinds


def show(path):
    return " -> ".join(name_of[i] for i in path)


domain = [d for d in DOMAIN if d in members]
adapters = [m for m in members if fnmatch.fnmatch(m, ADAPTER_PATTERN)]


def forbidden(member, dep_id):
    """Why member may not reach dep_id, or None."""
    dep = name_of[dep_id]
    is_member = members.get(dep) == dep_id
    if member in domain:
        if is_member and dep in domain and dep not in SHARED_DOMAIN:
            return f"domain crate `{member}` depends on domain crate `{dep}`"
        if not is_member and any(fnmatch.fnmatch(dep, p) for p in DOMAIN_FORBIDDEN):
            return f"domain crate `{member}` depends on `{dep}`"
    if member in adapters and is_member and dep in adapters:
        return f"adapter `{member}` depends on adapter `{dep}`"
    if is_member and dep == APP and member not in APP_DEPENDENTS:
        return f"`{member}` depends on `{APP}` (only {', '.join(APP_DEPENDENTS)} may)"
    return None


def check(member):
    """Breadth-first walk from member; a forbidden package is reported with its shortest path
    and not walked past, so one bad edge gives one message, not one per crate behind it."""
    root = members[member]
    path = {root: [root]}
    queue = deque([root])
    found = []
    while queue:
        cur = queue.popleft()
        for dep, _kinds in edges(cur, cur == root):
            if dep in path:
                continue
            path[dep] = path[cur] + [dep]
            why = forbidden(member, dep)
            if why:
                found.append(f"{why}: {show(path[dep])}")
            else:
                queue.append(dep)
    return found


violations = [v for member in sorted(members) for v in check(member)]

print(f"check-arch: {len(members)} workspace crates; domain: {', '.join(domain) or 'none'}; "
      f"adapters: {', '.join(sorted(adapters)) or 'none'}")
if violations:
    for v in violations:
        print(f"FORBIDDEN EDGE: {v}", file=sys.stderr)
    print(f"check-arch: {len(violations)} forbidden dependency edge(s); see shared/STYLE.md §1",
          file=sys.stderr)
    sys.exit(1)
print("check-arch: ok, no forbidden dependency edge")
PY
