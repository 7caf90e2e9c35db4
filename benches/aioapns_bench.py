"""N VoIP pushes with aioapns (from PyPI, unmodified), the way its README sends them.

    python3 benches/aioapns_bench.py KEY.p8 KEY_ID TEAM_ID TOPIC N CA.pem

aioapns connects to api.push.apple.com:443 (use_sandbox=False); it takes an ssl_context, which
is how it is told to trust the benchmark's CA. benches/push.sh resolves the host to 127.0.0.1 in
a private network namespace.
"""
import asyncio
import ssl
import sys
import time

from aioapns import APNs, NotificationRequest, PushType


async def main() -> int:
    key_path, key_id, team_id, topic, n, ca = sys.argv[1:7]
    n = int(n)
    with open(key_path) as f:
        key = f.read()
    ctx = ssl.create_default_context(cafile=ca)
    apns = APNs(
        key=key,
        key_id=key_id,
        team_id=team_id,
        topic=topic,
        use_sandbox=False,
        ssl_context=ctx,
    )
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            apns.send_notification(
                NotificationRequest(
                    device_token=f"{i:064x}",
                    message={"aps": {}},
                    priority=10,
                    time_to_live=0,
                    push_type=PushType.VOIP,
                )
            )
            for i in range(n)
        )
    )
    secs = time.perf_counter() - started
    ok = sum(1 for r in results if r.is_successful)
    print(f"aioapns: {ok}/{n} ok in {secs:.3f} s, {n / secs:.0f}/s")
    return 0 if ok == n else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
