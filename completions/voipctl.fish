# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_voipctl_global_optspecs
    string join \n json format= color= v/verbose q/quiet h/help V/version
end

function __fish_voipctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_voipctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_voipctl_using_subcommand
    set -l cmd (__fish_voipctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c voipctl -n "__fish_voipctl_needs_command" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_needs_command" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_needs_command" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_needs_command" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_needs_command" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_needs_command" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "analyze" -d 'Analyse a saved device log offline: the VoIP timeline and summary `watch` gives live'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "check" -d 'VoIP preflight of an .ipa, .app, .xcarchive or Info.plist: background modes, SDK, linkage, entitlements, profile'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "completions" -d 'Print shell completions or the man page (or write them all to a directory)'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "probe" -d 'End to end: trigger (VoIP push or socket wake), watch the phone, time each stage over N rounds, diagnose failures'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "push" -d 'Send test VoIP (or other) pushes through APNs over HTTP/2 and explain every failure'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "signal" -d 'Signalling: send SIP or raw packets (UDP, TCP, TLS, WebSocket), or be the server an app\'s VoIP socket connects to'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "devices" -d 'List attached iPhones (USB and network); --watch streams attach/detach'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "info" -d 'Show a device\'s lockdown values (name, model, iOS version…), or one with --key'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "apps" -d 'List installed apps with their background modes and entitlements; --voip for VoIP apps'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "sim" -d 'Run a simulated iPhone (usbmuxd, lockdownd, syslog, installation_proxy) from a scenario'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "watch" -d 'Stream the phone\'s log live: VoIP timeline (wakes, keep-alive, pushes, CallKit, exits) and a summary with pass/fail'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "schema" -d 'Print the JSON Schema (draft 2020-12) of every record `--json` writes, generated from the record types'
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -s b -l bundle -d 'Only events about this app (repeatable); system-wide events stay' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l process -d 'Only lines from this process (repeatable; with one -b, the app\'s own process name)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l pid -d 'Only lines from this pid (repeatable)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l match -d 'Only lines matching this regex (repeatable: any of them)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l exclude -d 'Drop lines matching this regex (repeatable)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l level -d 'Only lines at this level or above (lines without a level pass)' -r -f -a "debug\t'Everything'
info\t'Info and above'
notice\t'Notice (Default) and above'
warning\t'Warnings and above'
error\t'Errors and faults'
fault\t'Faults only'"
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l rules -d 'Add recognition rules from a TOML file (same format as the built-in ones; repeatable)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l fail-on -d 'Exit 1 when a check\'s count is over N (default 0); comma-separated or repeated; `all`' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l wake-budget -d 'Seconds a woken app may run before it suspends' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l keepalive-timeout -d 'The app\'s setKeepAliveTimeout: value (at least 600)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l handler-budget -d 'Seconds a keep-alive handler may run' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l relaunch-window -d 'Seconds after a non-zero exit within which iOS should relaunch the app' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l report-window -d 'Seconds after a VoIP push within which the CallKit report must come' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l keep-events -d 'Exits kept per app for the summary; earlier ones are counted, not listed (memory stays flat on long runs)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l crash-report -d 'A crash report (`.ips` or `.crash`, e.g. from `idevicecrashreport` or Xcode, or a system-wide `JetsamEvent-….ips`) to put in the timeline next to the exit it explains; repeatable' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l lines -d 'Also print every line that passes the filters, not only recognised events'
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand analyze" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -s b -l bundle -d 'With --device: the installed app\'s bundle id' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l usbmuxd -d 'usbmuxd address: UNIX:/path, /path, host:port or [v6]:port [default: USBMUXD_SOCKET_ADDRESS, else /var/run/usbmuxd; 127.0.0.1:27015 on Windows]' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -s u -l udid -d 'The device to use (needed when several are attached)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l timeout -d 'Time allowed for each device operation (seconds, or `500ms`, `2m`…)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l distribution -d 'How the build will be distributed; decides which findings are errors. Default: the method of the embedded provisioning profile, else appstore' -r -f -a "appstore\t'App Store / TestFlight (the preflight case)'
adhoc\t'Ad hoc (listed devices)'
development\t'Development (debugger allowed, APNs sandbox)'
enterprise\t'In-house enterprise'"
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l app -d 'Which app to check when the .ipa\'s Payload/ (or the archive) holds several (`Phone` or `Phone.app`)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l min-days -d 'Warn when the provisioning profile expires within N days' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l device -d 'Check the build installed on a phone instead of a bundle (needs -b BUNDLE)'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l all -d 'With --device: every attached phone, concurrently'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -s n -l network -d 'Use the device\'s network (Wi-Fi) connection instead of USB'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l strict -d 'Fail (exit 1) on warnings too'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l list-rules -d 'List the rules (IDs, severities for --distribution, and with -v explanations) and exit'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -l dir -d 'Write every shell\'s completions and the man page into DIR (this is how `completions/` is refreshed)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l usbmuxd -d 'usbmuxd address: UNIX:/path, /path, host:port or [v6]:port [default: USBMUXD_SOCKET_ADDRESS, else /var/run/usbmuxd; 127.0.0.1:27015 on Windows]' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -s u -l udid -d 'The device to use (needed when several are attached)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l timeout -d 'Time allowed for each device operation (seconds, or `500ms`, `2m`…)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -s b -l bundle -d 'The app\'s bundle ID (the push topic is <BUNDLE>.voip)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l via -d 'How each round is triggered' -r -f -a "push\t'A VoIP push through APNs (the push options below, and --token)'
signal\t'A wake on the app\'s VoIP socket, which connects to --listen'"
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l rounds -d 'How many rounds' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l interval -d 'Pause between a round\'s end and the next trigger (lines after a round\'s end still join it)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l round-timeout -d 'How long a round waits for the report, the kill or the ban' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l deadline -d 'A call reported later than this after sending makes the round late (failed)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l fail-on -d 'Fail when a stage\'s latency is over a limit, `STAGE[.p50|.p95|.max]=DURATION` (e.g. `reported.p95=2s`), or allow N failed rounds with `failed=N` (default failed=0)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l rules -d 'Add recognition rules from a TOML file (as `analyze --rules`; repeatable)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l token -d 'The phone\'s PushKit token (hex) for the app; `UDID=HEX` gives one phone\'s (repeatable, for --all)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l env -d 'APNs environment: sandbox for development (Xcode) builds, production for TestFlight/App Store' -r -f -a "production\t'api.push.apple.com'
sandbox\t'api.sandbox.push.apple.com'"
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l apns-url -d 'Any other APNs-compatible endpoint (e.g. the simulator\'s look-alike, with --ca-cert)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l ca-cert -d 'Trust only this CA (PEM) for the server\'s certificate; repeatable' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l key -d 'Token auth: the .p8 key' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l key-id -d 'Token auth: the key\'s 10-character key ID' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l team-id -d 'Token auth: your 10-character team ID' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l p12 -d 'Certificate auth: a .p12 (password from --password-env or a prompt)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l password-env -d 'Certificate auth: environment variable that holds the .p12 password' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l cert -d 'Certificate auth: PEM certificate (chain)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l cert-key -d 'Certificate auth: PEM private key for --cert' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l topic -d 'apns-topic, exactly (default: <BUNDLE>.voip)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l payload -d 'JSON payload (default: a minimal VoIP payload)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l apns-timeout -d 'Time to wait for APNs\' answer' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l retries -d 'Retries per push on 429, 5xx, GOAWAY and resets' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l listen -d 'Where the app\'s VoIP socket connects (TCP): tcp://HOST:PORT. With --all, one listener per phone: --listen UDID=tcp://HOST:PORT for each (the server that phone\'s app connects to)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l wake-raw -d 'Send these bytes as the wake instead of a SIP INVITE' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -s n -l network -d 'Use the device\'s network (Wi-Fi) connection instead of USB'
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l all -d 'Every attached phone at once (--via push; give each phone\'s token as --token UDID=HEX); JUnit output has a testsuite per phone'
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l syslog-relay -d 'Read com.apple.syslog_relay even where os_trace_relay is available (1 s stamps)'
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand probe" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l tokens-file -d 'Read device tokens from FILE, one per line (`-` for stdin; `#` comments, CSV first column)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l env -d 'APNs environment: sandbox for development (Xcode) builds, production for TestFlight/App Store' -r -f -a "production\t'api.push.apple.com'
sandbox\t'api.sandbox.push.apple.com'"
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l apns-url -d 'Any other APNs-compatible endpoint, e.g. https://apns.internal:8443 (with --ca-cert for a private CA)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l port -d 'Port of api.push.apple.com / api.sandbox.push.apple.com' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l ca-cert -d 'Trust only this CA (PEM) for the server\'s certificate; repeatable. Verification is never turned off' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l key -d 'Token auth: the .p8 key from Certificates, Identifiers & Profiles → Keys' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l key-id -d 'Token auth: the key\'s 10-character key ID' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l team-id -d 'Token auth: your 10-character team ID' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l token-refresh -d 'Token auth: renew the token after this long, 20 to 60 minutes (`40m`, `1h`; a plain number is seconds)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l p12 -d 'Certificate auth: a .p12 exported from Keychain Access (legacy ciphers and empty passwords work)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l password-env -d 'Certificate auth: environment variable that holds the .p12 password' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l cert -d 'Certificate auth: PEM certificate (chain); the key may be in the same file' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l cert-key -d 'Certificate auth: PEM private key for --cert' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -s b -l bundle -d 'App bundle ID; the topic becomes <bundle>.voip for VoIP pushes (<bundle> for alerts…)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l topic -d 'apns-topic, exactly (default: from --bundle or the certificate)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l push-type -d 'apns-push-type' -r -f -a "voip\t'PushKit VoIP push'
alert\t'Visible notification'
background\t'Silent background push'
complication\t'watchOS complication'
fileprovider\t'File Provider'
mdm\t'MDM'
location\t'Location query'
liveactivity\t'Live Activity'
pushtotalk\t'Push to Talk'"
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l priority -d 'apns-priority: 10, 5 or 1 (default 10; 5 for background)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l expiration -d 'apns-expiration: UNIX time, 0 = deliver now or never (default 0 for VoIP)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l collapse-id -d 'apns-collapse-id (at most 64 bytes)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l apns-id -d 'apns-id (lowercase UUID; APNs makes one when absent)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -s H -l header -d 'Any header, `name:value` (repeatable; overrides the options above)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l payload -d 'JSON payload (default: a minimal one for the push type)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l payload-file -d 'Read the JSON payload from FILE (`-` for stdin)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l concurrency -d 'Pushes in flight at once, as streams of one HTTP/2 connection (the server\'s limit applies too)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l retries -d 'Retries per push on 429, 5xx, GOAWAY and resets (never on permanent reasons)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l timeout -d 'Time to wait for each answer, at most 10m (seconds, or `500ms`, `2m`…)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l backoff -d 'First retry delay, doubling each retry (seconds, or `250ms`…)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l no-topic-check -d 'Send a topic that does not fit the push type (missing or doubled suffix) anyway'
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand push" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and not __fish_seen_subcommand_from send serve" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and not __fish_seen_subcommand_from send serve" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and not __fish_seen_subcommand_from send serve" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and not __fish_seen_subcommand_from send serve" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and not __fish_seen_subcommand_from send serve" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and not __fish_seen_subcommand_from send serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and not __fish_seen_subcommand_from send serve" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and not __fish_seen_subcommand_from send serve" -f -a "send" -d 'Send SIP requests or raw bytes to a signalling server; report replies and round-trip times'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and not __fish_seen_subcommand_from send serve" -f -a "serve" -d 'Act as the server an app\'s VoIP socket connects to: hold connections, answer, send wakes'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -s t -l transport -d 'Transport for a TARGET without a scheme' -r -f -a "udp\t'Datagrams'
tcp\t'TCP'
tls\t'TLS over TCP'
ws\t'WebSocket (subprotocol sip)'
wss\t'WebSocket over TLS'"
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -s m -l method -d 'SIP request to build and send, in any case (`invite` or `INVITE`; the default is OPTIONS)' -r -f -a "options\t'OPTIONS (a ping)'
register\t'REGISTER (Expires: 60)'
invite\t'INVITE with an SDP audio offer; ACKed, and hung up with BYE if answered'
message\t'MESSAGE with a text body'
notify\t'NOTIFY (Event: check-sync)'
cancel\t'CANCEL (stand-alone)'
bye\t'BYE (stand-alone)'"
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l text -d 'Send this text as is (C-style escapes such as \\r\\n are not interpreted; use $\'…\' in the shell)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l hex -d 'Send these bytes, written as hex (spaces and colons allowed)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l file -d 'Send the contents of this file as is' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l uri -d 'Request-URI (default sip:HOST:PORT)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l from -d 'From URI (default sip:voipctl@LOCAL-IP)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l to -d 'To URI (default: the Request-URI; for REGISTER the From URI)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l body -d 'Request body (text/plain unless INVITE)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -s H -l header -d 'Extra header, "Name: value" (repeatable)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -s c -l count -d 'Number of requests' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -s i -l interval -d 'Time between the starts of two requests (0 = back to back)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l timeout -d 'How long to wait for connecting and for each final reply' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l expect -d 'Final statuses that count as success, e.g. 2xx or 2xx,486' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l ca-cert -d 'Trust only the CA certificates in this PEM file for TLS/WSS (default: the system\'s trust store)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l server-name -d 'Name to verify the server certificate against (default: the target host)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l no-wait -d 'Send without waiting for replies'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from send" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -s l -l listen -d 'Listen here (repeatable): udp://IP:PORT, tcp://…, tls://…, ws://…, wss://… (port 0 = any free port)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l cert -d 'TLS certificate chain (PEM) for tls:// and wss:// (default: a fresh self-signed one for localhost)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l key -d 'TLS private key (PEM)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l write-cert -d 'Write the TLS certificate to this file (give it to the client as --ca-cert)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l wake -d 'What a wake packet is' -r -f -a "invite\t'A SIP INVITE to the contact the app registered (or to the connection)'
raw\t'Raw bytes: --wake-text or --wake-hex (default a double CRLF)'"
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l wake-text -d 'Raw wake payload as text (implies --wake raw)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l wake-hex -d 'Raw wake payload as hex (implies --wake raw)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l wake-every -d 'Send a wake to every held connection this often' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l wake-timeout -d 'How long a wake waits for the app to answer (iOS gives a woken app about 10 s)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l duration -d 'Stop after this long and print the summary (default: until Ctrl-C, SIGTERM or `quit`)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l max-connections -d 'Most connections held at once, per transport (TCP, TLS, WS, WSS and UDP peers each have their own). At the limit a peer that has not yet sent a complete message makes room; others never do' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l max-per-address -d 'Most connections held at once from one IP address, per transport' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l message-timeout -d 'Deadline for one message to arrive completely, and for TLS/WebSocket handshakes (slow senders are dropped)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l idle-timeout -d 'Drop a connection after this long without data (default: hold forever; UDP peers: 300 s)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l wake-on-stdin -d 'Read control lines on stdin: `wake` (all), `wake N` (connection N), `quit`'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l no-answer -d 'Record requests without answering them'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand signal; and __fish_seen_subcommand_from serve" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -l usbmuxd -d 'usbmuxd address: UNIX:/path, /path, host:port or [v6]:port [default: USBMUXD_SOCKET_ADDRESS, else /var/run/usbmuxd; 127.0.0.1:27015 on Windows]' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -s u -l udid -d 'The device to use (needed when several are attached)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -l timeout -d 'Time allowed for each device operation (seconds, or `500ms`, `2m`…)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -l duration -d 'With --watch: stop after this long (seconds, or `90s`, `5m`, `1h`)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -s n -l network -d 'Use the device\'s network (Wi-Fi) connection instead of USB'
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -l watch -d 'After the list, stream attach/detach events until Ctrl-C (or --duration)'
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand devices" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -l usbmuxd -d 'usbmuxd address: UNIX:/path, /path, host:port or [v6]:port [default: USBMUXD_SOCKET_ADDRESS, else /var/run/usbmuxd; 127.0.0.1:27015 on Windows]' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -s u -l udid -d 'The device to use (needed when several are attached)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -l timeout -d 'Time allowed for each device operation (seconds, or `500ms`, `2m`…)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -s k -l key -d 'Print one value (e.g. ProductVersion, DeviceName, UniqueDeviceID)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -l domain -d 'Lockdown domain to read (e.g. com.apple.disk_usage)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -s n -l network -d 'Use the device\'s network (Wi-Fi) connection instead of USB'
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -l all -d 'Every attached device, concurrently'
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand info" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -l usbmuxd -d 'usbmuxd address: UNIX:/path, /path, host:port or [v6]:port [default: USBMUXD_SOCKET_ADDRESS, else /var/run/usbmuxd; 127.0.0.1:27015 on Windows]' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -s u -l udid -d 'The device to use (needed when several are attached)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -l timeout -d 'Time allowed for each device operation (seconds, or `500ms`, `2m`…)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -l type -d 'Which apps' -r -f -a "user\t'Apps the user installed'
system\t'Apple\'s apps'
any\t'Both'"
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -s b -l bundle -d 'Only this bundle id (repeatable)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -s n -l network -d 'Use the device\'s network (Wi-Fi) connection instead of USB'
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -l all -d 'Every attached device, concurrently'
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -l voip -d 'Only apps that can use VoIP (`voip` in UIBackgroundModes)'
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand apps" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -l listen -d 'Listen on this TCP address (port 0 picks a free port)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -l unix -d 'Listen on a Unix socket at PATH instead (e.g. to stand in for /var/run/usbmuxd)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -l duration -d 'Stop after this long: seconds, or `90s`, `5m`, `1h` (default: run until Ctrl-C)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -l replay -d 'Play a recorded log (`watch --record` file, idevicesyslog text, pymobiledevice3 JSON or text) through the phone\'s syslog_relay and os_trace_relay with its original timing, from when the first log client connects' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -l speed -d 'How fast the scenario (and --replay) plays: 2 is twice as fast (0.001–100000)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand sim" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l usbmuxd -d 'usbmuxd address: UNIX:/path, /path, host:port or [v6]:port [default: USBMUXD_SOCKET_ADDRESS, else /var/run/usbmuxd; 127.0.0.1:27015 on Windows]' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -s u -l udid -d 'The device to use (needed when several are attached)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l timeout -d 'Time allowed for each device operation (seconds, or `500ms`, `2m`…)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -s b -l bundle -d 'Only events about this app (repeatable); system-wide events stay' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l process -d 'Only lines from this process (repeatable; with one -b, the app\'s own process name)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l pid -d 'Only lines from this pid (repeatable)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l match -d 'Only lines matching this regex (repeatable: any of them)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l exclude -d 'Drop lines matching this regex (repeatable)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l level -d 'Only lines at this level or above (lines without a level pass)' -r -f -a "debug\t'Everything'
info\t'Info and above'
notice\t'Notice (Default) and above'
warning\t'Warnings and above'
error\t'Errors and faults'
fault\t'Faults only'"
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l rules -d 'Add recognition rules from a TOML file (same format as the built-in ones; repeatable)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l fail-on -d 'Exit 1 when a check\'s count is over N (default 0); comma-separated or repeated; `all`' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l wake-budget -d 'Seconds a woken app may run before it suspends' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l keepalive-timeout -d 'The app\'s setKeepAliveTimeout: value (at least 600)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l handler-budget -d 'Seconds a keep-alive handler may run' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l relaunch-window -d 'Seconds after a non-zero exit within which iOS should relaunch the app' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l report-window -d 'Seconds after a VoIP push within which the CallKit report must come' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l keep-events -d 'Exits kept per app for the summary; earlier ones are counted, not listed (memory stays flat on long runs)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l record -d 'Save the raw stream to FILE (voipctl\'s recording format; `voipctl analyze FILE` reads it)' -r -F
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l duration -d 'Stop after this long: seconds, or with a unit (`90s`, `5m`, `1h`)' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l until -d 'Stop at this time: `HH:MM[:SS]` (local, the next one), `HH:MM[:SS]Z` (UTC) or RFC 3339' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -s n -l network -d 'Use the device\'s network (Wi-Fi) connection instead of USB'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l lines -d 'Also print every line that passes the filters, not only recognised events'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l syslog-relay -d 'Read com.apple.syslog_relay even where os_trace_relay is available'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l exit-on-disconnect -d 'Stop when the phone goes away (summary, then exit 4) instead of waiting for it'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l no-crash-reports -d 'Do not fetch crash reports from the phone when a watched app dies (by default the newest report of the process is read from com.apple.crashreportcopymobile and its termination reason/code put in the timeline)'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l all -d 'Every attached phone at once (phones that attach later join; one that goes away is reported); JSON records get a `device` field, JUnit a testsuite per phone'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand watch" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_using_subcommand schema" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'
html\t'One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary'"
complete -c voipctl -n "__fish_voipctl_using_subcommand schema" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand schema" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand schema" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand schema" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand schema" -s V -l version -d 'Print version'
