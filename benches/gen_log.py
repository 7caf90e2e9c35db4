#!/usr/bin/env python3
"""Generate a large idevicesyslog-style device log for `benches/analyze.sh`.

A realistic mix: ~99% noise from the usual daemons (Wi-Fi, location, kernel, SpringBoard, the
app's own chatter, vis(3)-escaped bytes), ~1% VoIP lines of every recognised family (launches,
suspend/resume, keep-alive markers, apsd/callservicesd pushes, CallKit reports and kills, exits).
Processes keep their pid (the apps get a new one after an exit). A 16 MiB block is built once
and written until the requested size is reached.

    python3 benches/gen_log.py OUT.log SIZE_MB
"""
import random
import sys

# The VoIP lines of the mix (also streamed alone by benches/gen_events.py).
VOIP = [
    ("SpringBoard(FrontBoard)", "Bootstrapping com.example.legacyphone with intent background"),
    ("runningboardd", "[app<com.example.legacyphone>:412] Unsuspending task."),
    ("LegacyPhone", "VOIPCTL keepalive.begin"),
    ("LegacyPhone", "VOIPCTL keepalive.end"),
    ("runningboardd", "[app<com.example.legacyphone>:412] Suspending task."),
    ("apsd", "<APSCourier: 0x283d4c000>: Received message for enabled topic 'com.example.call.voip' onInterface: NonCellular with payload '<private>' with priority 10 for device token: NO"),
    ("callservicesd", "Delivering 1 VoIP payload(s) to application com.example.call"),
    ("ExampleCall", "VOIPCTL push.received"),
    ("ExampleCall", "VOIPCTL call.reported"),
    ("SpringBoard", "Application 'UIKitApplication:com.example.legacyphone[0x4f2e][57]' exited abnormally with exit status 1"),
    ("runningboardd", "[app<com.example.legacyphone>:412] termination reported by launchd (1, 1, 1)"),
]


def block(seed=7, target=16 << 20):
    r = random.Random(seed)
    noise = [
        ("wifid", "WiFi:[{n}.381]: Processing link quality event: rssi=-{a} txRate=144.0 rxRate=130.0"),
        ("locationd", "{{\"msg\":\"#Warning Service is not running\", \"service\":\"kCLConnectionServiceVehicleSpeed\", \"n\":{n}}}"),
        ("kernel", "AppleMobileADBE0::do_power_state_change(): fSoft: 0 fHard: 1 swapBusy: 0 pendingSwap: 0x0 n={n}"),
        ("SpringBoard(FrontBoard)", "[sceneID:com.apple.springboard-{a}] Scene assertion state did change: ForegroundActive."),
        ("CommCenter", "#I Radio state: kOn; signal bars {a}; reg state: kRegisteredHome; serving cell {n}"),
        ("mediaserverd", "-CMSessionMgr- CMSessionMgrHandleApplicationStateChange: Sending stop command to com.example.other with pid '{a}'"),
        ("LegacyPhone", "SIP OPTIONS from sip.example.com answered 200 OK (cseq {n})"),
        ("LegacyPhone", "audio route changed to Speaker caf\\M-C\\M-) \\M-b\\M^@\\M^S session {n}"),
        ("symptomsd", "Data Usage for nsurlsessiond on flow {n} - WiFi in: {a}, WiFi out: 0, WWAN in: 0, WWAN out: 0"),
        ("dasd", "Trigger: <private> is now [{a}]; Activity {n} is not eligible to run: deferred"),
    ]
    voip = VOIP
    levels = ["Notice", "Notice", "Notice", "Info", "Debug", "Error"]
    # A process keeps its pid (as on a phone); the apps get a new one after they exit.
    pids = {}
    out = []
    size = 0
    sec = 0
    vi = 0
    while size < target:
        sec += r.random() * 0.05
        s = int(sec)
        t = "Nov 25 %02d:%02d:%02d" % ((s // 3600) % 24, (s // 60) % 60, s % 60)
        if r.random() < 0.01:
            proc, msg = voip[vi % len(voip)]
            vi += 1
            lvl = "Notice"
        else:
            proc, tmpl = noise[r.randrange(len(noise))]
            msg = tmpl.format(n=r.randrange(1_000_000_000), a=r.randrange(100))
            lvl = levels[r.randrange(len(levels))]
        name = proc.split("(")[0]
        if name not in pids:
            pids[name] = 30 + r.randrange(900)
        if "exited abnormally" in msg:
            for app in ("LegacyPhone", "ExampleCall"):
                pids.pop(app, None)
        line = "%s iPhone %s[%d] <%s>: %s\n" % (t, proc, pids[name], lvl, msg)
        out.append(line)
        size += len(line)
    return "".join(out).encode()

def main():
    path, mb = sys.argv[1], int(sys.argv[2])
    b = block()
    want = mb << 20
    with open(path, "wb") as f:
        written = 0
        while written < want:
            f.write(b)
            written += len(b)
    print("%s: %d MiB" % (path, written >> 20))

if __name__ == "__main__":
    main()
