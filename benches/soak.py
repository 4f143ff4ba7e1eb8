#!/usr/bin/env python3
"""schemabench's own memory over a long phase: RSS of the `run` process,
sampled every few seconds, for an open loop the server keeps up with and
one it cannot (most arrivals turned away), and a closed loop.

    python3 benches/soak.py [SECONDS] [RATE]     # defaults: 120 s, 3000/s

Each case runs TaleForge's data at scale 0.05 in a throwaway cluster, the
baseline only, one round, one phase of SECONDS (a primary-key lookup as the
API's `authenticated`). Prints RSS over time and the growth over the second
half of the phase (MB per minute) and what an hour would hold at that pace.
Goal: a one-hour phase at 3,000 requests a second under 300 MB.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "schemabench")

SCENARIO = """name = "soak"
extends = "{taleforge}"

[workload.actor]
table = "profiles"

[[workload.queries]]
name = "own_story"
weight = 1
as = "authenticated"
access = "read"
sql = "select id, title from public.stories where id = $1"
params = [{{ from = "owned", column = "stories.id" }}]

[load]
protocol = "prepared"

[[load.phases]]
name = "soak"
duration = "{seconds}s"
{offered}
"""


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def soak(label, seconds, offered):
    with tempfile.TemporaryDirectory(prefix="schemabench-soak-") as tmp:
        path = os.path.join(tmp, "soak.toml")
        with open(path, "w") as f:
            f.write(SCENARIO.format(
                taleforge=os.path.join(ROOT, "scenarios", "taleforge", "scenario.toml"),
                seconds=seconds,
                offered=offered,
            ))
        env = dict(os.environ)
        log_path = os.path.join(tmp, "stderr.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                [BINARY, "run", path, "--scale", "0.05", "--baseline-only", "--rounds", "1",
                 "--out", os.path.join(tmp, "out")],
                stdout=subprocess.DEVNULL, stderr=log, env=env)
            samples = []
            phase_started = None
            # The phase starts after seeding: the line announcing the sitting.
            while proc.poll() is None:
                if phase_started is None:
                    with open(log_path) as f:
                        if "sitting" in f.read():
                            phase_started = time.monotonic()
                if phase_started is not None:
                    rss = rss_mb(proc.pid)
                    if rss is not None:
                        samples.append((time.monotonic() - phase_started, rss))
                time.sleep(2)
        with open(log_path) as f:
            buffered = f.read()
        served = ""
        try:
            with open(os.path.join(tmp, "out", "results.json")) as f:
                phase = json.load(f)["candidates"][0]["phases"][-1]
            served = (f"; {phase['requests']} requests served ({phase['throughput']:.0f}/s), "
                      f"{phase.get('dropped', 0)} arrivals turned away")
        except (OSError, KeyError, IndexError, ValueError):
            pass
    samples = [(t, r) for t, r in samples if t <= seconds]
    print(f"\n{label}: exit {proc.returncode}{served}")
    for t, r in samples[:: max(1, len(samples) // 12)]:
        print(f"  {t:6.0f} s  {r:7.1f} MB")
    half = [(t, r) for t, r in samples if t >= seconds / 2]
    if len(half) >= 2:
        n = len(half)
        mt = sum(t for t, _ in half) / n
        mr = sum(r for _, r in half) / n
        slope = sum((t - mt) * (r - mr) for t, r in half) / max(
            1e-9, sum((t - mt) ** 2 for t, _ in half))
        hour = half[-1][1] + slope * (3600 - half[-1][0])
        print(f"  growth over the second half: {slope * 60:+.2f} MB/min; "
              f"an hour at this pace: {hour:.0f} MB (peak seen {max(r for _, r in samples):.1f} MB)")
    if proc.returncode not in (0, 7):
        print(buffered[-2000:])


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    open_loop = "clients = 32\nrate = {}\narrivals = \"poisson\""
    soak(f"open loop, {rate}/s", seconds, open_loop.format(rate))
    soak("open loop, overloaded: 30000/s", seconds, open_loop.format(30000))
    soak("closed loop, 8 clients", seconds, "clients = 8")


if __name__ == "__main__":
    main()
