"""The playground's speed, measured by driving a real server over WebSockets.

Starts ``glassnet playground --port 0 --no-browser`` in a subprocess, connects as a page
would (the ``websockets`` client), presses play on a 2-8-8-1 tanh network on the circle
data (500 points) and counts training steps per second and ``state`` messages (page
updates) per second. Side by side, in this process: the same network and optimizer
trained in a plain glassnet loop (no server), and in PyTorch when it is installed. Then
three tabs train at once while a fourth one's commands are timed (is the server still
responsive?).

Targets (issue 16): at least 1,000 steps/s and 20 updates/s.

    python benchmarks/bench_playground.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

QUERIES = {
    "batch 10 (default)": "dataset=circle&n=500&layers=8,8&batch=10",
    "full batch (450)": "dataset=circle&n=500&ratio=90&layers=8,8&batch=450",
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), NaN elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def start_server():
    proc = subprocess.Popen([sys.executable, "-m", "glassnet.playground", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"the server did not start: {line}{proc.stderr.read()}")
    url = line.split()[2].rstrip("/")
    return proc, url


class Tab:
    """A WebSocket client that behaves like a page: reads every message."""

    def __init__(self, url: str, query: str):
        from websockets.sync.client import connect

        self.ws = connect(url.replace("http://", "ws://") + "/ws?" + query,
                          max_size=2**24, origin=url)
        self.states: list = []  # (arrival time, steps)
        self.replies: list = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        try:
            for text in self.ws:
                msg = json.loads(text)
                now = time.perf_counter()
                with self.lock:
                    if msg["type"] == "state":
                        self.states.append((now, msg["steps"], msg["playing"]))
                    else:
                        self.replies.append((now, msg))
        except Exception:
            pass

    def send(self, msg: dict):
        self.ws.send(json.dumps(msg))

    def wait_reply(self, kind: str, after: float, timeout: float = 10.0):
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            with self.lock:
                for t, m in self.replies:
                    if t >= after and m["type"] == kind:
                        return t
            time.sleep(0.0005)
        raise TimeoutError(kind)

    def play_for(self, seconds: float, pid: int) -> tuple[float, float, float]:
        """Steps/s, updates/s and steps per CPU-second of the server process (a figure
        a busy machine disturbs less) over the middle of a ``seconds`` run."""
        self.send({"type": "play"})
        time.sleep(0.5)  # warm up
        with self.lock:
            n0 = len(self.states)
        cpu0 = cpu_seconds(pid)
        time.sleep(seconds)
        cpu1 = cpu_seconds(pid)
        with self.lock:
            window = [s for s in self.states[n0:] if s[2]]
        self.send({"type": "pause"})
        if len(window) < 2:
            return 0.0, 0.0, 0.0
        dt = window[-1][0] - window[0][0]
        steps = window[-1][1] - window[0][1]
        return steps / dt, (len(window) - 1) / dt, steps * seconds / dt / (cpu1 - cpu0)

    def close(self):
        self.ws.close()


def plain_glassnet(query: str, seconds: float) -> float:
    """Steps/s of the same session trained in-process with no server."""
    from glassnet.playground import config as C
    from glassnet.playground.session import Session

    s = Session(C.from_query(query))
    s.train(steps=50)
    t0 = time.perf_counter()
    n = s.train(seconds=seconds)
    return n / (time.perf_counter() - t0)


def plain_torch(query: str, seconds: float) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    from glassnet.playground import config as C
    from glassnet.playground.session import Session

    torch.set_num_threads(1)
    s = Session(C.from_query(query))
    X = torch.tensor(s.Xf_train)
    T = torch.tensor(s.T_train)
    nn = torch.nn
    net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                        nn.Linear(8, 1)).double()
    opt = torch.optim.SGD(net.parameters(), lr=0.03)
    bs = s.cfg["batch"]
    rng = np.random.default_rng(0)
    n, steps = len(X), 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        order = torch.from_numpy(rng.permutation(n))
        for i in range(0, n, bs):
            idx = order[i:i + bs]
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(net(X[idx]), T[idx])
            loss.backward()
            opt.step()
            steps += 1
    return steps / (time.perf_counter() - t0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args(argv)
    proc, url = start_server()
    print(f"server: {url}  (2-8-8-1 tanh, SGD lr 0.03, circle, 500 points; "
          f"{os.cpu_count()} CPUs)\n")
    try:
        rows = []
        for label, query in QUERIES.items():
            tab = Tab(url, query)
            time.sleep(0.3)
            runs = [tab.play_for(args.seconds / 2, proc.pid) for _ in range(2)]
            tab.close()
            steps = statistics.median(r[0] for r in runs)
            ups = statistics.median(r[1] for r in runs)
            per_cpu = statistics.median(r[2] for r in runs)
            ref = plain_glassnet(query, args.seconds / 2)
            tor = plain_torch(query, args.seconds / 2)
            rows.append((label, steps, ups, per_cpu, ref, tor))
        print(f"{'setup':<20} {'server steps/s':>15} {'updates/s':>10} {'steps/CPU-s':>12} "
              f"{'plain glassnet':>15} {'server/plain':>13} {'PyTorch loop':>13}")
        for label, steps, ups, per_cpu, ref, tor in rows:
            t = f"{tor:13,.0f}" if tor else f"{'-':>13}"
            print(f"{label:<20} {steps:15,.0f} {ups:10.1f} {per_cpu:12,.0f} {ref:15,.0f} "
                  f"{steps / ref:13.2f} {t}")
        print("(steps/CPU-s: steps per second of CPU time the server process used; plain "
              "glassnet and PyTorch: the same training loop in this process, no server)")
        ok = rows[0][1] >= 1000 and rows[0][2] >= 20
        print(f"\ntargets: >= 1,000 steps/s and >= 20 updates/s (batch 10): "
              f"{'met' if ok else 'NOT met'}")

        # several tabs training: per-tab rates and a fourth tab's command latency
        query = QUERIES["batch 10 (default)"]
        tabs = [Tab(url, query) for _ in range(3)]
        probe = Tab(url, "dataset=circle")
        time.sleep(0.3)
        for t in tabs:
            t.send({"type": "play"})
        time.sleep(0.5)
        marks = [len(t.states) for t in tabs]
        lat = []
        t_start = time.perf_counter()
        for i in range(20):
            t0 = time.perf_counter()
            probe.send({"type": "set", "config": {"lr": [0.01, 0.03][i % 2]}})
            lat.append(probe.wait_reply("config", t0) - t0)
            time.sleep(0.05)
        span = time.perf_counter() - t_start
        per_tab = []
        for t, m in zip(tabs, marks):
            w = [s for s in t.states[m:] if s[2]]
            dt = w[-1][0] - w[0][0] if len(w) > 1 else float("inf")
            per_tab.append(((w[-1][1] - w[0][1]) / dt if len(w) > 1 else 0.0,
                            (len(w) - 1) / dt if len(w) > 1 else 0.0))
        for t in tabs + [probe]:
            t.close()
        print(f"\nthree tabs training at once ({span:.1f} s): per tab "
              + ", ".join(f"{s:,.0f} steps/s {u:.1f} updates/s" for s, u in per_tab))
        print(f"a fourth tab's command round trip meanwhile: median "
              f"{statistics.median(lat) * 1e3:.1f} ms, max {max(lat) * 1e3:.1f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
