from tests.support import batch, signal


def test_ingest_roundtrip(caller):
    body = batch(signal("a-1"), signal("a-2"))
    r = caller.call("gemeente-rotterdam", "POST", "/v1/signals", body)
    print(r.status_code, r.text[:2000])
    assert r.status_code == 200
    r2 = caller.call("gemeente-rotterdam", "POST", "/v1/signals", body)
    assert r2.json()["receipts"] == r.json()["receipts"]
