#!/usr/bin/env python3
"""Stream N idevicesyslog-style lines that are all VoIP events (the VoIP lines of
benches/gen_log.py, in order, 0.1 s apart, the apps' pids renewed after each exit) to stdout, for
`benches/analyze_events.sh`. Nothing is written to disk.

    python3 benches/gen_events.py N | voipctl --json analyze -
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_log import VOIP  # noqa: E402


def main():
    n = int(sys.argv[1])
    start = datetime.datetime(2025, 11, 25)
    pids = {}
    next_pid = 400
    out = sys.stdout
    buf = []
    for i in range(n):
        proc, msg = VOIP[i % len(VOIP)]
        name = proc.split("(")[0]
        if name not in pids:
            next_pid = next_pid + 1 if next_pid < 99_000 else 400
            pids[name] = next_pid
        t = start + datetime.timedelta(seconds=i // 10)
        buf.append("%s %2d %s iPhone %s[%d] <Notice>: %s\n" % (
            t.strftime("%b"), t.day, t.strftime("%H:%M:%S"), proc, pids[name], msg))
        if "termination reported" in msg:
            for app in ("LegacyPhone", "ExampleCall"):
                pids.pop(app, None)
        if len(buf) >= 10_000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
