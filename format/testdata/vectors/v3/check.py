#!/usr/bin/env python3
"""Independent check of the format v3 vectors (golden.json, commit.json).

Written apart from custody's Rust code, from docs/design/format-v3.md alone,
with Python's hashlib: it rebuilds every disclosure's D from its JSON form,
every commitment, signing digest, entry hash, leaf hash and statement id,
and builds FORMAT.md section 12.7's capture as a v3 body by hand (design
section 12). Entry and statement signatures are checked with RFC 8032's
reference Ed25519 verification (section 6, cofactorless), written out
below.

    python3 format/testdata/vectors/v3/check.py
"""
import hashlib
import json
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Design section 2.3: code -> (name, kind).
CODES = {
    1: ("notes", "text"), 2: ("place", "text"), 3: ("last_seen_place", "text"),
    4: ("name", "text"), 5: ("date_of_birth", "date"), 6: ("service_number", "text"),
    7: ("unit", "text"), 8: ("circumstances", "text"), 9: ("reference", "text"),
    10: ("via", "text"), 11: ("by", "text"), 12: ("to", "text"), 13: ("from", "text"),
    14: ("authority", "text"), 15: ("charge", "text"), 16: ("sentence", "text"),
    17: ("reason", "text"), 18: ("witnesses", "text"), 19: ("description", "text"),
}
BY_NAME = {name: (code, kind) for code, (name, kind) in CODES.items()}


# RFC 8032 section 6: the reference Ed25519 arithmetic (verification only).
P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def point_add(a, b):
    A, B = (a[1] - a[0]) * (b[1] - b[0]) % P, (a[1] + a[0]) * (b[1] + b[0]) % P
    C, Dd = 2 * a[3] * b[3] * D % P, 2 * a[2] * b[2] % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def point_mul(s, pt):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = point_add(acc, pt)
        pt = point_add(pt, pt)
        s >>= 1
    return acc


def point_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def point_decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        if sign:
            return None
        x = 0
    else:
        x = pow(x2, (P + 3) // 8, P)
        if (x * x - x2) % P != 0:
            x = x * SQRT_M1 % P
        if (x * x - x2) % P != 0:
            return None
        if (x & 1) != sign:
            x = P - x
    return (x, y, 1, x * y % P)


GY = 4 * pow(5, P - 2, P) % P
BASE = point_decompress(GY.to_bytes(32, "little"))


def ed25519_verify(public, msg, sig):
    a, r = point_decompress(public), point_decompress(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if a is None or r is None or s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(sig[:32] + public + msg).digest(), "little") % Q
    return point_equal(point_mul(s, BASE), point_add(r, point_mul(h, a)))


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def enc_value(kind, value):
    """FORMAT.md section 1's encoding of a text or an OccurredAt date."""
    if kind == "text":
        b = value.encode("utf-8")
        return struct.pack("<Q", len(b)) + b
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    assert m, "date not in YYYY, YYYY-MM or YYYY-MM-DD form: %r" % value
    year, month, day = m.groups()
    if day is not None:
        return struct.pack("<IiBB", 2, int(year), int(month), int(day))
    if month is not None:
        return struct.pack("<IiB", 1, int(year), int(month))
    return struct.pack("<Ii", 0, int(year))


def d_of(disclosure):
    """D = salt || part || LE16(code) || LE16(index) || enc(value)."""
    assert sorted(disclosure) == ["field", "index", "part", "salt", "value"], disclosure
    code, kind = BY_NAME[disclosure["field"]]
    salt = bytes.fromhex(disclosure["salt"])
    assert len(salt) == 32
    return (salt + struct.pack("<BHH", disclosure["part"], code, disclosure["index"])
            + enc_value(kind, disclosure["value"]))


def commitment(d):
    return sha256(b"custody/v3/commit\x00", d)


def test_salt(i):
    return sha256(b"custody test salt", struct.pack("<Q", i))


def check_disclosure(v, where):
    d = d_of(v["json"])
    assert d.hex() == v["d"], where
    assert commitment(d).hex() == v["commitment"], where
    if v["salt_index"] is not None:
        assert test_salt(v["salt_index"]).hex() == v["json"]["salt"], where
    return d


def main():
    commits = json.load(open(os.path.join(HERE, "commit.json")))
    for row in commits:
        check_disclosure(row, row["name"])
    by_name = {r["name"]: r for r in commits}
    assert (by_name["design section 12: place Mariupol, salt 00 01 .. 1f"]["commitment"]
            == "30c2f0b8da26686f7b8e6ad9ecaed3a972bb071c7055800e87a1819f1ccb141e")
    assert (by_name["design section 12: date_of_birth 1990, salt 11 x 32"]["commitment"]
            == "5f398bdeb4bb1270d7d7244cc2a34567efa1ac9f87d34a4cea589bcb4c14ee7f")
    # The worked examples, from the design's bytes alone.
    salt = bytes(range(32))
    d = salt + bytes.fromhex("00" "0200" "0000") + struct.pack("<Q", 8) + b"Mariupol"
    assert len(d) == 53
    assert commitment(d).hex().startswith("30c2f0b8")
    d = b"\x11" * 32 + bytes.fromhex("00" "0500" "0000") + bytes.fromhex("00000000c6070000")
    assert len(d) == 45 and commitment(d).hex().endswith("ee7f")
    # The salt test: no year 1000-9999 matches without the salt.
    target = commitment(d)
    for wrong in (bytes(32), bytes(range(32))):
        for year in range(1000, 10000):
            guess = wrong + bytes.fromhex("00" "0500" "0000") + struct.pack("<Ii", 0, year)
            assert commitment(guess) != target

    golden = json.load(open(os.path.join(HERE, "golden.json")))
    assert len(golden) == 26
    filled = set()
    for g in golden:
        name = g["name"]
        body = bytes.fromhex(g["body"])
        entry = bytes.fromhex(g["entry"])
        assert body[:2] == b"\x03\x00", name
        assert entry == body + bytes.fromhex(g["signature"]), name
        assert sha256(b"custody/entry/v3\x00", body).hex() == g["signing_digest"], name
        signer = bytes.fromhex(g["signer"])
        digest = bytes.fromhex(g["signing_digest"])
        assert ed25519_verify(signer, digest, bytes.fromhex(g["signature"])), name
        bad = bytearray(bytes.fromhex(g["signature"]))
        bad[0] ^= 1
        assert not ed25519_verify(signer, digest, bytes(bad)), name
        assert sha256(entry).hex() == g["entry_hash"], name
        assert sha256(b"\x00", entry).hex() == g["leaf_hash"], name
        slots = []
        for v in g["disclosures"]:
            check_disclosure(v, name)
            assert bytes.fromhex(v["commitment"]) in body, name
            j = v["json"]
            slots.append((j["part"], BY_NAME[j["field"]][0], j["index"]))
            filled.add(j["field"])
        assert slots == sorted(slots) and len(set(slots)) == len(slots), name
        if "statement" in g:
            s = g["statement"]
            sbody = bytes.fromhex(s["body"])
            assert sbody[:2] == b"\x01\x00", name
            assert sha256(b"custody/statement/v1\x00", sbody).hex() == s["id"], name
            assert ed25519_verify(bytes.fromhex(s["author"]), bytes.fromhex(s["id"]),
                                  bytes.fromhex(s["signature"])), name
            assert sbody + bytes.fromhex(s["signature"]) in body, name
    assert filled == set(BY_NAME), sorted(set(BY_NAME) - filled)

    # Design section 12: FORMAT.md section 12.7's v2 capture body with
    # version 0300, the place as 01 and its commitment, the attachment's
    # description as 01 and its commitment, and 00 for witnesses.
    v2_body = bytes.fromhex(
        "02000400000000000000222222222222222222222222222222222222222222222222222222222222"
        "222200401e18240a060079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad04"
        "96640100000000000000010200000000000000333333333333333333333333333333333333333333"
        "3333333333333333333333040000000300000000000000502d3102000000e6070000051101080000"
        "00000000004d61726975706f6c0000000100000000000000abababababababababababababababab"
        "abababababababababababababababab0900000000000000766964656f2f6d703401070000000000"
        "0000666f6f74616765")
    capture = golden[4]
    desc = [v for v in capture["disclosures"] if v["json"]["field"] == "description"][0]
    place = bytes.fromhex("30c2f0b8da26686f7b8e6ad9ecaed3a972bb071c7055800e87a1819f1ccb141e")
    v3_body = (b"\x03\x00" + v2_body[2:]).replace(
        b"\x01" + struct.pack("<Q", 8) + b"Mariupol", b"\x01" + place).replace(
        b"\x01" + struct.pack("<Q", 7) + b"footage", b"\x01" + bytes.fromhex(desc["commitment"]))
    v3_body += b"\x00"
    assert v3_body.hex() == capture["body"], "the v3 capture of design section 12"
    print("ok: %d commitments, %d golden entries (signatures verified), the capture of design section 12"
          % (len(commits), len(golden)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
