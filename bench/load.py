"""A bounded, self-stopping load generator: N client threads, each with its own connection, for D seconds.

``python bench/load.py URL --clients 8 --seconds 10 [--header 'Name: value'] [--warmup 1]`` prints one
JSON line: requests, errors, status counts, p50/p95/p99 latency (ms) and requests per second. Every
client sends its next request as soon as the previous one answered (closed loop); the run stops at the
deadline whatever happens, and a request that takes longer than ``--timeout`` counts as an error.

``python bench/load.py URL --burst TOKENS_FILE --clients 64`` is the sign-up burst: one POST to URL per
bearer token of the file (one a line, each a different person), from ``--clients`` threads that take the
next token as soon as they are free, all started together. Prints one JSON line: the wall time from the
first request to the last answer, sign-ups per second, p50/p95/p99/max latency, status counts, and each
answer's body in the order the requests were sent.
"""
import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlsplit


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def client(url, headers, deadline, measure_from, timeout, out):
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = None
    latencies, statuses, errors, sent = [], {}, 0, 0
    while True:
        start = time.perf_counter()
        if start >= deadline:
            break
        try:
            if conn is None:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
            status = "error"
        end = time.perf_counter()
        sent += 1
        if start >= measure_from:
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                latencies.append(end - start)
            else:
                errors += 1
    if conn is not None:
        conn.close()
    out.append((latencies, statuses, errors, sent))


def run(url, clients, seconds, warmup=1.0, headers=None, timeout=30.0):
    headers = {"User-Agent": "union-saas-bench", **(headers or {})}
    begin = time.perf_counter()
    measure_from = begin + warmup
    deadline = measure_from + seconds
    out = []
    threads = [threading.Thread(target=client, args=(url, headers, deadline, measure_from, timeout, out))
               for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + warmup + timeout + 5)
    latencies = sorted(x for lat, _s, _e, _n in out for x in lat)
    statuses = {}
    for _lat, st, _e, _n in out:
        for key, n in st.items():
            statuses[str(key)] = statuses.get(str(key), 0) + n
    ms = lambda v: None if v is None else round(v * 1000, 2)
    return {"clients": clients, "seconds": seconds, "requests": len(latencies), "errors": sum(e for _l, _s, e, _n in out),
            "sent": sum(n for _l, _s, _e, n in out),
            "statuses": statuses, "p50": ms(percentile(latencies, 50)), "p95": ms(percentile(latencies, 95)),
            "p99": ms(percentile(latencies, 99)), "rps": round(len(latencies) / seconds, 1)}


def burst(url, tokens, clients, timeout=60.0, payload=b""):
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    pending = list(enumerate(tokens))
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    answers = [None] * len(tokens)

    def client():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        start.wait()
        while True:
            with lock:
                if not pending:
                    break
                index, token = pending.pop(0)
            begin = time.perf_counter()
            try:
                headers = {"User-Agent": "union-saas-bench", "Authorization": f"Bearer {token}",
                           "Content-Length": str(len(payload))}
                if payload:
                    headers["Content-Type"] = "application/json"
                conn.request("POST", target, body=payload, headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
                status, body = "error", b""
            try:
                doc = json.loads(body) if body else None
            except ValueError:
                doc = None
            answers[index] = (status, time.perf_counter() - begin, doc)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    latencies = sorted(a[1] for a in answers if a)
    statuses = {}
    for answer in answers:
        statuses[str(answer[0])] = statuses.get(str(answer[0]), 0) + 1
    ms = lambda v: None if v is None else round(v * 1000, 1)
    return {"requests": len(tokens), "clients": clients, "wall_s": round(wall, 3), "per_s": round(len(tokens) / wall, 1),
            "p50": ms(percentile(latencies, 50)), "p95": ms(percentile(latencies, 95)),
            "p99": ms(percentile(latencies, 99)), "max": ms(latencies[-1] if latencies else None),
            "statuses": statuses, "answers": [a[2] for a in answers]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--burst", metavar="TOKENS_FILE", help="POST once per bearer token of the file")
    parser.add_argument("--body", default="", help="the JSON body of each burst POST (default: none)")
    args = parser.parse_args()
    if args.burst:
        with open(args.burst, encoding="utf-8") as lines:
            tokens = [line.strip() for line in lines if line.strip()]
        print(json.dumps(burst(args.url, tokens, args.clients, args.timeout, args.body.encode("utf-8"))))
        raise SystemExit(0)
    headers = dict(h.split(": ", 1) for h in args.header)
    print(json.dumps(run(args.url, args.clients, args.seconds, args.warmup, headers, args.timeout)))
