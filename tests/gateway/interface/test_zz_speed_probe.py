import time
def test_speed(start_gateway):
    t = time.monotonic()
    gw = start_gateway()
    print("start", time.monotonic() - t)
    r = gw.get("/v1/ping", headers={"X-Request-ID": "abc"})
    print(r.status_code, r.headers, r.text)
    print("total", time.monotonic() - t)
