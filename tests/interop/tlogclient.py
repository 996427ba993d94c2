#!/usr/bin/env python3
"""tlogclient.py - a client of `provledger serve` written without provledger:
Ed25519 from Python's cryptography, RFC 6962 and C2SP signed notes from the
standards. Each submission is a key entry (SPEC 6.1) for a fresh key, signed
by that key in a DSSE envelope and POSTed to /add; each answer's checkpoint
signature and inclusion proof are verified before the submission counts.

usage: tlogclient.py URL OPERATOR.pub CLIENTS PER_CLIENT OUT [PREFIX]

OUT gets one line per answered submission: "seq leafhex name". Exit 0 when
every submission was answered 200 and verified; 1 otherwise (the problems
printed, at most 10).
"""
import base64
import datetime
import hashlib
import json
import sys
import threading
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)


def wire_string(b):
    return len(b).to_bytes(4, "big") + b


def ssh_blob(raw):
    return wire_string(b"ssh-ed25519") + wire_string(raw)


def leaf_hash(b):
    return hashlib.sha256(b"\x00" + b).digest()


def node_hash(a, b):
    return hashlib.sha256(b"\x01" + a + b).digest()


def root_from_inclusion(index, size, leaf, proof):
    """RFC 9162 2.1.3.2: the root an inclusion proof leads to (or None)."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_note(note, origin, op_raw):
    """The checkpoint's operator signature (C2SP signed-note, Ed25519)."""
    body, sep, sigs = note.partition("\n\n")
    if not sep:
        raise ValueError("the checkpoint has no signature block")
    body += "\n"
    kh = hashlib.sha256(origin.encode() + b"\n\x01" + op_raw).digest()[:4]
    pub = Ed25519PublicKey.from_public_bytes(op_raw)
    for line in sigs.splitlines():
        if not line.startswith("\u2014 " + origin + " "):
            continue
        sig = base64.b64decode(line.split(" ")[2])
        if sig[:4] == kh:
            pub.verify(sig[4:], body.encode())
            return body.splitlines()
    raise ValueError("no signature by the operator key")


def envelope(name):
    k = Ed25519PrivateKey.generate()
    raw = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    blob = ssh_blob(raw)
    keyid = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    st = {"_type": "https://in-toto.io/Statement/v1",
          "subject": [{"name": "key:" + name, "digest": {"sha256": raw.hex()}}],
          "predicateType": "https://provledger.dev/key/v1",
          "predicate": {"created": created, "name": name, "role": "lab",
                        "public_key": "ssh-ed25519 " + base64.b64encode(blob).decode() + " " + name}}
    payload = json.dumps(st, sort_keys=True, separators=(",", ":")).encode()
    ptype = b"application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
    sig = k.sign(pae)
    env = {"payload": base64.b64encode(payload).decode(), "payloadType": ptype.decode(),
           "signatures": [{"keyid": keyid, "sig": base64.b64encode(sig).decode()}]}
    return json.dumps(env, sort_keys=True, separators=(",", ":")).encode()


def main(argv):
    if len(argv) < 6 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    url, oppub, clients, per, out = argv[1], argv[2], int(argv[3]), int(argv[4]), argv[5]
    prefix = argv[6] if len(argv) > 6 else "c"
    op_raw = base64.b64decode(open(oppub).read().split()[1])[-32:]
    origin = urllib.request.urlopen(url + "/checkpoint", timeout=30).read().decode().split("\n")[0]
    lock = threading.Lock()
    lines, problems = [], []

    def worker(c):
        for j in range(per):
            name = "%s%dk%d" % (prefix, c, j)
            env = None
            for attempt in range(5):
                env = envelope(name)
                try:
                    req = urllib.request.Request(url + "/add", data=env, method="POST")
                    ans = json.loads(urllib.request.urlopen(req, timeout=60).read())
                except urllib.error.HTTPError as e:
                    msg = e.read().decode(errors="replace")
                    if e.code == 422 and "earlier than the previous entry" in msg:
                        continue  # signed in the second before another's entry: sign again
                    with lock:
                        problems.append("%s: HTTP %d %s" % (name, e.code, msg[:200]))
                    env = None
                    break
                except Exception as e:  # noqa: BLE001 - a client reports every failure
                    with lock:
                        problems.append("%s: %r" % (name, e))
                    env = None
                    break
                try:
                    lines_cp = verify_note(ans["checkpoint"], origin, op_raw)
                    size, root = int(lines_cp[1]), base64.b64decode(lines_cp[2])
                    proof = [base64.b64decode(h) for h in ans["proof"]]
                    leaf = leaf_hash(env)
                    if size != ans["size"] or leaf.hex() != ans["leaf"]:
                        raise ValueError("size or leaf differ from the answer")
                    if root_from_inclusion(ans["seq"], size, leaf, proof) != root:
                        raise ValueError("the inclusion proof does not lead to the root")
                    with lock:
                        lines.append("%d %s %s" % (ans["seq"], ans["leaf"], name))
                except Exception as e:  # noqa: BLE001
                    with lock:
                        problems.append("%s: answer does not verify: %r" % (name, e))
                break
            else:
                with lock:
                    problems.append("%s: refused 5 times for its time" % name)

    ts = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(out, "w") as f:
        f.write("".join(x + "\n" for x in lines))
    for p in problems[:10]:
        print(p)
    print("%d submissions answered and verified, %d problems" % (len(lines), len(problems)))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
