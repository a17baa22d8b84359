#!/usr/bin/env python3
"""graft.py REPO TREE PATH MODE OID: print the id of TREE with the entry at
PATH (a/b/name) set to MODE and OID, writing the new trees into REPO with
`git hash-object --literally`, so that any name or mode can be made (a
forger's tool for the tests: stock git itself refuses some of them)."""
import subprocess
import sys


def git(repo, *args, data=None):
    return subprocess.run(["git", "-C", repo, *args], input=data, capture_output=True, check=True).stdout


def entries(repo, tree):
    out = []
    if tree:
        for rec in git(repo, "ls-tree", "-z", tree).split(b"\0"):
            if rec:
                meta, name = rec.split(b"\t", 1)
                mode, _, oid = meta.split(b" ")
                out.append([mode.lstrip(b"0"), name, oid.decode()])
    return out


def write_tree(repo, ents):
    key = lambda e: e[1] + (b"/" if e[0] == b"40000" else b"")
    data = b"".join(m + b" " + n + b"\0" + bytes.fromhex(o) for m, n, o in sorted(ents, key=key))
    return git(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", data=data).decode().strip()


def graft(repo, tree, parts, mode, oid):
    ents = entries(repo, tree)
    name = parts[0].encode()
    old = next((e for e in ents if e[1] == name), None)
    if len(parts) == 1:
        new = [mode.encode(), name, oid]
    else:
        sub = old[2] if old and old[0] == b"40000" else None
        new = [b"40000", name, graft(repo, sub, parts[1:], mode, oid)]
    ents = [e for e in ents if e[1] != name] + [new]
    return write_tree(repo, ents)


repo, tree, path, mode, oid = sys.argv[1:6]
print(graft(repo, tree, path.split("/"), mode, oid))
