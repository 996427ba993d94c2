#!/usr/bin/python3
"""dssecheck.py ENTRY... - verify every entry's DSSE signature with Python's
cryptography package, from the raw envelope bytes, in sequence order.

Keys come from the key entries themselves: a key entry registers the
Ed25519 key in its predicate's public_key (OpenSSH line); the signature's
keyid must be SHA256:<base64 of SHA-256 of the key blob, no padding>, the
OpenSSH fingerprint. A key entry is signed by the key it registers, or (a
revocation) by an earlier key. Prints one line per entry; exit 1 on any
failure."""
import base64
import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def pae(ptype: bytes, payload: bytes) -> bytes:
    return b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)


def parse_openssh(line: str):
    blob = base64.b64decode(line.split()[1])
    (n,) = struct.unpack(">I", blob[:4])
    assert blob[4 : 4 + n] == b"ssh-ed25519", "not an ssh-ed25519 key"
    (m,) = struct.unpack(">I", blob[4 + n : 8 + n])
    raw = blob[8 + n : 8 + n + m]
    assert len(raw) == 32
    fp = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return fp, Ed25519PublicKey.from_public_bytes(raw), raw


def main() -> int:
    keys = {}
    bad = 0
    for seq, path in enumerate(sys.argv[1:]):
        raw = open(path, "rb").read()
        env = json.loads(raw)
        payload = base64.b64decode(env["payload"], validate=True)
        ptype = env["payloadType"].encode()
        stmt = json.loads(payload)
        # the statement is serialised canonically (SPEC section 6)
        canon = json.dumps(stmt, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if canon.encode() != payload:
            print(f"seq {seq}: payload is not canonical JSON")
            bad += 1
        if ptype != b"application/vnd.in-toto+json":
            print(f"seq {seq}: payloadType {ptype!r}")
            bad += 1
        sig = env["signatures"][0]
        pred = stmt["predicate"]
        new = None
        if stmt["predicateType"] == "https://provledger.dev/key/v1":
            fp, pub, rawkey = parse_openssh(pred["public_key"])
            if stmt["subject"][0]["digest"]["sha256"] != rawkey.hex():
                print(f"seq {seq}: subject digest is not the key")
                bad += 1
            new = (fp, pub)
            if sig["keyid"] == fp:
                keys.setdefault(fp, pub)
        signer = keys.get(sig["keyid"])
        if signer is None:
            print(f"seq {seq}: signer {sig['keyid']} not registered")
            bad += 1
            continue
        try:
            signer.verify(base64.b64decode(sig["sig"], validate=True), pae(ptype, payload))
            print(f"seq {seq}: good signature by {sig['keyid']}")
        except Exception as e:  # InvalidSignature
            print(f"seq {seq}: BAD signature by {sig['keyid']}: {e!r}")
            bad += 1
        if new:
            keys.setdefault(*new)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
