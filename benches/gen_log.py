#!/usr/bin/env python3
"""Generate a large idevicesyslog-style device log for `benches/analyze.sh`.

A realistic mix: ~99% noise (real lines of the usual daemons, the app's own chatter with
vis(3)-escaped bytes), ~1% VoIP lines of every recognised family (launches, suspend/resume,
keep-alive markers, callservicesd pushes, CallKit reports, exits); every system line is a real
one (tests/data: the corpus and the session excerpts).
Processes keep their pid (the apps get a new one after an exit). A 16 MiB block is built once
and written until the requested size is reached.

    python3 benches/gen_log.py OUT.log SIZE_MB
"""
import random
import sys

# The VoIP lines of the mix (also streamed alone by benches/gen_events.py): real forms of system
# lines (tests/data/ios-log-corpus.jsonl and tests/data/sessions/, sources there; only bundle IDs
# and pids are this file's) and the app's own markers.
VOIP = [
    ("runningboardd", "Executing launch request for application<com.example.legacyphone> (FBApplicationProcess)"),
    ("runningboardd", "Creating and launching job for: application<com.example.legacyphone>"),
    ("runningboardd", "[application<com.example.legacyphone>:412] Resuming task."),
    ("LegacyPhone", "VOIPCTL keepalive.begin"),
    ("LegacyPhone", "VOIPCTL keepalive.end"),
    ("runningboardd", "[application<com.example.legacyphone>:412] Suspending task."),
    ("callservicesd", "Incoming message has topic: com.example.call.voip bundleID: com.example.call"),
    ("ExampleCall", "VOIPCTL push.received"),
    ("ExampleCall", "VOIPCTL call.reported"),
    ("runningboardd", "[application<com.example.legacyphone>:412] termination reported by launchd (1, 1, 1)"),
]

# System noise: real messages copied exactly from tests/data/ios-log-corpus.jsonl (lines that give
# no event; each one's source address and iOS version are there).
SYSTEM_NOISE = [
    ('SpringBoard(FrontBoard)', 'no object found'),
    ('SpringBoard(FrontBoardServices)', '[com.apple.test.WebDriverAgentRunner-Runner] Deactivating <FBProcessWatchdog: 0x171279400; name: scene-create>'),
    ('SpringBoard(UIKitCore)', 'No longer tracking: <FBScene: 0x280afed60; sceneID: sceneID:com.REDACTED-default; valid: YES>'),
    ('SpringBoard(FrontBoard)', '[application<com.REDACTED>:796] Setting process visibility to: Unknown'),
    ('SpringBoard(FrontBoard)', 'change foreground process from list:(null)'),
    ('SpringBoard', 'Icon tap canceled: <private>'),
    ('SpringBoard', 'EXECUTING: <BSEventQueueEvent: 0x2839b68c0; processSceneDestroy-sceneID:com.ianwelker.smserver-default(6)>'),
    ('SpringBoard(UserNotificationsServer)', 'Received incoming message on topic com.haikumedia.deka'),
    ('dasd(DuetActivitySchedulerDaemon)', 'Submitted Activity: com.apple.pushLaunch.edu.berkeley.eecs.emission:AAE889 <private>'),
    ('dasd(DuetActivitySchedulerDaemon)', 'CANCELED: com.apple.pushLaunch.edu.berkeley.eecs.emission:E0E211 <private>!'),
    ('SpringBoard(UserNotificationsCore)', '[com.myapp.auth.app] Received remote notification request F9B8-D619 [ waking: 0, hasAlertContent: 1, hasSound: 1 hasBadge: 0 hasContentAvailable: 1 hasMutableContent: 1 pushType: Alert]'),
    ('SpringBoard', 'HW kbd: target process 696 (com.ianwelker.smserver) scene:com.apple.frontboard.systemappservices::sceneID%3Acom.ianwelker.smserver-default'),
    ('mDNSResponder(com.apple.mDNSResponder.Default)', '[R11] DNSServiceCreateConnection STOP PID[16312](MobileSafari)'),
    ('mDNSResponder(com.apple.mDNSResponder.Default)', '[R12] DNSServiceGetAddrInfo(<private>) STOP PID[16312](MobileSafari)'),
    ('mDNSResponder(com.apple.mDNSResponder.Default)', '[R13] DNSServiceCreateConnection START PID[2881](com.apple.Safar)'),
    ('mDNSResponder(com.apple.mDNSResponder.Default)', '[R14] DNSServiceGetAddrInfo(C808D000, 0, 0, <private>) START PID[2881](com.apple.Safar)'),
    ('mDNSResponder(com.apple.mDNSResponder.Default)', '[R14->Q26748] GetServerForQuestion: 0x10500ee00 DNS server (0x102716970) <private>:53 (Penalty Time Left 0) (Scope None:0x0:-1) for <private> (AAAA)'),
    ('CommCenter', '#I DATA.ServiceController: handleWirelessTechnologyChanged_sync: WirelessTechnologyListManager: with <private>'),
    ('CommCenter', '#I DATA.ServiceController: triggerSwitch_sync: WirelessTechnologyListManager: Switch start: to add <private>, to remove <private>'),
    ('CommCenter', '#I ActivationObserver: notifyAboutFrontAppChange : app: <private>; pid: 0; net: 0'),
    ('CommCenter', '#I FBSDisplayLayoutUpdateHandler: 5. app got notification state: new counter=70'),
    ('dmd', 'Update foreground bundle identifiers'),
    ('SpringBoard(SpringBoard)', "Begin requiring home screen content for reason 'SBUIHomeScreenActiveContentRequirementReason'"),
    ('CommCenter', '#I <private> request: <private>, expects reply.'),
    ('wifid(WiFiPolicy)', 'WiFiDeviceSetProperty: ERROR: Setting reg entry key IO80211AppState failed e00002d8'),
    ('wifid(WiFiPolicy)', 'BG Application: Not Present, BG Daemon: Present. Daemons: apsd  Cloud Clients:'),
    ('wifid(WiFiPolicy)', 'WiFiDeviceManagerReset: type=SpringBoard'),
    ('sharingd', 'SystemUI changed: 0x10 -> 0x10'),
    ('symptomsd(SymptomEvaluator)', 'com.REDACTED: Foreground: false'),
    ('contextstored(BiomeStreams)', 'Received connection request for BMFileAccessService from pid 57'),
    ('symptomsd(SymptomEvaluator)', 'Failed to find process for com.REDACTED'),
    ('contextstored(CoreDuetContext)', 'CDUserContext: Remove object matching predicate <private> => <private>'),
    ('SpringBoard', 'Unable to deliver -[UIRemoteApplication showTopMostMiniAlertWithSynchronizationPort:] message to port 0: (ipc/send) invalid destination port'),
    ('kernel', 'IOReturn AppleM2ScalerCSCDriver::getIOSurfaceFromID(DestinationOrSource, M2ScalerCSCRequest *) 3645 (*ppBuffCS) is NULL'),
    ('kernel', 'transformGeneral failed (0xe00002f0).'),
    ('kernel', '002873.806270 wlan0.A[381] AppleBCMWLANNetManager::updateLinkQualityMetrics(): Report LQM to User Land 100, fAverageRSSI -70'),
    ('SpringBoard(CoreMotion)', 'Stopping device motion, mode=0x<private>'),
    ('locationd', 'Client com.apple.springboard disconnected'),
    ('CommCenter', '#I CSIAppInfo.AppObserver: observe_block_invoke: FBSDisplayLayoutUpdateHandler: update start'),
    ('CommCenter', '#I Flushing queued mms messages due to low memory warning'),
    ('SpringBoard', 'Loaded logger: SBAppInstallationLog'),
    ('SpringBoard', 'libMobileGestalt MobileGestalt.c:200: string SBNonDefaultSystemAppTag is not a valid gestalt question'),
    ('SpringBoard(UserNotificationsServer)', '[com.haikumedia.deka] Saving notification 64E8-563C'),
    ('kernel', 'Sandbox: ScriptAgent(1121) deny mach-lookup com.perfecto15.PMConfigManager.gsEvents'),
    ('SpringBoard', 'LICreateIconForImage passed NULL CGImageRef image'),
    ('locationd', 'Gesture EnabledForTopCLient: 0, EnabledInDaemonSettings: 0'),
    ('SpringBoard(FrontBoard)', 'fetching object for key=SBSPushStoreRemoteNotificationCategories bundleID=<private> checkPrefetch=NO (synchronously)'),
]


def block(seed=7, target=16 << 20):
    r = random.Random(seed)
    # Mostly the system's own lines, and the app's chatter (its own words, with vis(3) escapes).
    noise = [(p, m.replace("{", "{{").replace("}", "}}")) for p, m in SYSTEM_NOISE] + [
        ("LegacyPhone", "SIP OPTIONS from sip.example.com answered 200 OK (cseq {n})"),
        ("LegacyPhone", "audio route changed to Speaker caf\\M-C\\M-) \\M-b\\M^@\\M^S session {n}"),
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
        if "termination reported" in msg:
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
