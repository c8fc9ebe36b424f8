"""The load generator: an asyncio HTTP client (aiohttp) in its own process, so that it never shares an
interpreter with the server it measures.

    python -m bench.load SPEC.json  →  prints one JSON object of figures on stdout

The spec says where (`base`), how many clients (`concurrency`), for how long (`duration` seconds, after a
`warmup` that is not counted) and what to send:
- `shared`: one list of requests the clients take in turn (`cycle: true` starts it again when it runs out,
  otherwise the run stops when it is used up: each booking of a distinct slot is sent once);
- `per_client`: one list per client, sent in order (the race: each client tries every slot).
A request is `{"method", "path", "headers", "json"}`. The answer keeps latencies of the counted requests,
their statuses, and, when `keep_bodies` is set, each response's status and JSON body (for the race).
"""

import asyncio
import json
import sys
import time
from itertools import cycle


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


async def run(spec: dict) -> dict:
    import aiohttp

    base = spec["base"].rstrip("/")
    concurrency = int(spec.get("concurrency", 1))
    duration = float(spec.get("duration", 10))
    warmup = float(spec.get("warmup", 0))
    max_requests = int(spec.get("max_requests", 10**9))
    keep_bodies = bool(spec.get("keep_bodies"))
    default_headers = spec.get("headers", {})
    timeout = aiohttp.ClientTimeout(total=float(spec.get("timeout", 60)))
    if "per_client" in spec:
        sources = [iter(reqs) for reqs in spec["per_client"]]
        concurrency = len(sources)
    else:
        shared = spec["shared"]
        source = cycle(shared) if spec.get("cycle") else iter(shared)
        sources = [source] * concurrency

    latencies: list[float] = []
    statuses: dict[str, int] = {}
    bodies: list[dict] = []
    errors: list[str] = []
    state = {"counting": warmup <= 0, "stop": False, "sent": 0, "warm": 0}
    t0 = time.perf_counter()
    window = {"start": t0 if warmup <= 0 else None, "end": None}

    async def client(n: int, session: "aiohttp.ClientSession") -> None:
        source = sources[n]
        while not state["stop"]:
            try:
                req = next(source)
            except StopIteration:
                return
            if state["sent"] >= max_requests:
                return
            state["sent"] += 1
            headers = {**default_headers, **req.get("headers", {})}
            started = time.perf_counter()
            try:
                async with session.request(
                    req.get("method", "GET"), base + req["path"], headers=headers, json=req.get("json")
                ) as resp:
                    raw = await resp.read()
                    status = resp.status
            except Exception as exc:  # noqa: BLE001 - a refused or reset connection is a figure, not a crash
                status, raw = 0, b""
                if len(errors) < 5:
                    errors.append(f"{type(exc).__name__}: {exc}")
            elapsed = time.perf_counter() - started
            if not state["counting"]:
                state["warm"] += 1
            else:
                latencies.append(elapsed)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if keep_bodies:
                    try:
                        body = json.loads(raw) if raw else None
                    except ValueError:
                        body = raw[:200].decode("utf-8", "replace")
                    bodies.append({"client": n, "request": req, "status": status, "body": body})
                elif status >= 400 and len(errors) < 5:
                    errors.append(f"{status} {req.get('method', 'GET')} {req['path']}: {raw[:300]!r}")

    async def clock() -> None:
        if warmup > 0:
            await asyncio.sleep(warmup)
            state["counting"] = True
            window["start"] = time.perf_counter()
        await asyncio.sleep(duration)
        state["stop"] = True

    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        timer = asyncio.create_task(clock())
        await asyncio.gather(*(client(n, session) for n in range(concurrency)))
        window["end"] = time.perf_counter()
        timer.cancel()
    start = window["start"] or window["end"]
    wall = max(1e-9, window["end"] - start)
    ordered = sorted(latencies)
    ms = 1000.0
    return {
        "requests": len(latencies),
        "warmup_requests": state["warm"],
        "seconds": round(wall, 3),
        "throughput": round(len(latencies) / wall, 1) if latencies else 0.0,
        "p50_ms": round(percentile(ordered, 50) * ms, 1) if ordered else None,
        "p95_ms": round(percentile(ordered, 95) * ms, 1) if ordered else None,
        "p99_ms": round(percentile(ordered, 99) * ms, 1) if ordered else None,
        "max_ms": round(ordered[-1] * ms, 1) if ordered else None,
        "statuses": statuses,
        "errors": errors,
        "bodies": bodies if keep_bodies else None,
    }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    result = asyncio.run(run(spec))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
