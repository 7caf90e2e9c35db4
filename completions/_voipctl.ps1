
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'voipctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'voipctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'voipctl' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (--json is short for --format json)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines on stdout: one typed record per line, ending with a `summary` record')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'VoIP preflight of an .ipa, .app, .xcarchive or Info.plist: background modes, SDK, linkage, entitlements, profile')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions or the man page (or write them all to a directory)')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Send test VoIP (or other) pushes through APNs over HTTP/2 and explain every failure')
            [CompletionResult]::new('signal', 'signal', [CompletionResultType]::ParameterValue, 'Signalling: send SIP or raw packets (UDP, TCP, TLS, WebSocket), or be the server an app''s VoIP socket connects to')
            break
        }
        'voipctl;check' {
            [CompletionResult]::new('--distribution', '--distribution', [CompletionResultType]::ParameterName, 'How the build will be distributed; decides which findings are errors')
            [CompletionResult]::new('--min-days', '--min-days', [CompletionResultType]::ParameterName, 'Warn when the provisioning profile expires within N days')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (--json is short for --format json)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail (exit 1) on warnings too')
            [CompletionResult]::new('--list-rules', '--list-rules', [CompletionResultType]::ParameterName, 'List the rules (IDs, severities for --distribution, and with -v explanations) and exit')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines on stdout: one typed record per line, ending with a `summary` record')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'voipctl;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write every shell''s completions and the man page into DIR (this is how `completions/` is refreshed)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (--json is short for --format json)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines on stdout: one typed record per line, ending with a `summary` record')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'voipctl;push' {
            [CompletionResult]::new('--tokens-file', '--tokens-file', [CompletionResultType]::ParameterName, 'Read device tokens from FILE, one per line (`-` for stdin; `#` comments, CSV first column)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'APNs environment: sandbox for development (Xcode) builds, production for TestFlight/App Store')
            [CompletionResult]::new('--apns-url', '--apns-url', [CompletionResultType]::ParameterName, 'Any other APNs-compatible endpoint, e.g. https://apns.internal:8443 (with --ca-cert for a private CA)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port of api.push.apple.com / api.sandbox.push.apple.com')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Trust only this CA (PEM) for the server''s certificate; repeatable. Verification is never turned off')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Token auth: the .p8 key from Certificates, Identifiers & Profiles → Keys')
            [CompletionResult]::new('--key-id', '--key-id', [CompletionResultType]::ParameterName, 'Token auth: the key''s 10-character key ID')
            [CompletionResult]::new('--team-id', '--team-id', [CompletionResultType]::ParameterName, 'Token auth: your 10-character team ID')
            [CompletionResult]::new('--token-refresh', '--token-refresh', [CompletionResultType]::ParameterName, 'Token auth: renew the token after this many minutes (20-60)')
            [CompletionResult]::new('--p12', '--p12', [CompletionResultType]::ParameterName, 'Certificate auth: a .p12 exported from Keychain Access (legacy ciphers and empty passwords work)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Certificate auth: environment variable that holds the .p12 password')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Certificate auth: PEM certificate (chain); the key may be in the same file')
            [CompletionResult]::new('--cert-key', '--cert-key', [CompletionResultType]::ParameterName, 'Certificate auth: PEM private key for --cert')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'App bundle ID; the topic becomes <bundle>.voip for VoIP pushes (<bundle> for alerts…)')
            [CompletionResult]::new('--bundle', '--bundle', [CompletionResultType]::ParameterName, 'App bundle ID; the topic becomes <bundle>.voip for VoIP pushes (<bundle> for alerts…)')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'apns-topic, exactly (default: from --bundle or the certificate)')
            [CompletionResult]::new('--push-type', '--push-type', [CompletionResultType]::ParameterName, 'apns-push-type')
            [CompletionResult]::new('--priority', '--priority', [CompletionResultType]::ParameterName, 'apns-priority: 10, 5 or 1 (default 10; 5 for background)')
            [CompletionResult]::new('--expiration', '--expiration', [CompletionResultType]::ParameterName, 'apns-expiration: UNIX time, 0 = deliver now or never (default 0 for VoIP)')
            [CompletionResult]::new('--collapse-id', '--collapse-id', [CompletionResultType]::ParameterName, 'apns-collapse-id (at most 64 bytes)')
            [CompletionResult]::new('--apns-id', '--apns-id', [CompletionResultType]::ParameterName, 'apns-id (lowercase UUID; APNs makes one when absent)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Any header, `name:value` (repeatable; overrides the options above)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Any header, `name:value` (repeatable; overrides the options above)')
            [CompletionResult]::new('--payload', '--payload', [CompletionResultType]::ParameterName, 'JSON payload (default: a minimal one for the push type)')
            [CompletionResult]::new('--payload-file', '--payload-file', [CompletionResultType]::ParameterName, 'Read the JSON payload from FILE (`-` for stdin)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Pushes in flight at once, as streams of one HTTP/2 connection (the server''s limit applies too)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries per push on 429, 5xx, GOAWAY and resets (never on permanent reasons)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each answer')
            [CompletionResult]::new('--backoff-ms', '--backoff-ms', [CompletionResultType]::ParameterName, 'First retry delay in milliseconds (doubles each retry)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (--json is short for --format json)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)')
            [CompletionResult]::new('--no-topic-check', '--no-topic-check', [CompletionResultType]::ParameterName, 'Send a topic that does not fit the push type (missing or doubled suffix) anyway')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines on stdout: one typed record per line, ending with a `summary` record')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'voipctl;signal' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (--json is short for --format json)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines on stdout: one typed record per line, ending with a `summary` record')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send SIP requests or raw bytes to a signalling server; report replies and round-trip times')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Act as the server an app''s VoIP socket connects to: hold connections, answer, send wakes')
            break
        }
        'voipctl;signal;send' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Transport for a TARGET without a scheme')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Transport for a TARGET without a scheme')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'SIP request to build and send (the default is OPTIONS)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'SIP request to build and send (the default is OPTIONS)')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Send this text as is (C-style escapes such as \r\n are not interpreted; use $''…'' in the shell)')
            [CompletionResult]::new('--hex', '--hex', [CompletionResultType]::ParameterName, 'Send these bytes, written as hex (spaces and colons allowed)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send the contents of this file as is')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Request-URI (default sip:HOST:PORT)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'From URI (default sip:voipctl@LOCAL-IP)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'To URI (default: the Request-URI; for REGISTER the From URI)')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'Request body (text/plain unless INVITE)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra header, "Name: value" (repeatable)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra header, "Name: value" (repeatable)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Number of requests')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Number of requests')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between the starts of two requests (0 = back to back)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between the starts of two requests (0 = back to back)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for connecting and for each final reply')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Final statuses that count as success, e.g. 2xx or 2xx,486')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Trust only the CA certificates in this PEM file for TLS/WSS (default: the system''s trust store)')
            [CompletionResult]::new('--server-name', '--server-name', [CompletionResultType]::ParameterName, 'Name to verify the server certificate against (default: the target host)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (--json is short for --format json)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Send without waiting for replies')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines on stdout: one typed record per line, ending with a `summary` record')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'voipctl;signal;serve' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Listen here (repeatable): udp://IP:PORT, tcp://…, tls://…, ws://…, wss://… (port 0 = any free port)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Listen here (repeatable): udp://IP:PORT, tcp://…, tls://…, ws://…, wss://… (port 0 = any free port)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'TLS certificate chain (PEM) for tls:// and wss:// (default: a fresh self-signed one for localhost)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'TLS private key (PEM)')
            [CompletionResult]::new('--write-cert', '--write-cert', [CompletionResultType]::ParameterName, 'Write the TLS certificate to this file (give it to the client as --ca-cert)')
            [CompletionResult]::new('--wake', '--wake', [CompletionResultType]::ParameterName, 'What a wake packet is')
            [CompletionResult]::new('--wake-text', '--wake-text', [CompletionResultType]::ParameterName, 'Raw wake payload as text (implies --wake raw)')
            [CompletionResult]::new('--wake-hex', '--wake-hex', [CompletionResultType]::ParameterName, 'Raw wake payload as hex (implies --wake raw)')
            [CompletionResult]::new('--wake-every', '--wake-every', [CompletionResultType]::ParameterName, 'Send a wake to every held connection this often')
            [CompletionResult]::new('--wake-timeout', '--wake-timeout', [CompletionResultType]::ParameterName, 'How long a wake waits for the app to answer (iOS gives a woken app about 10 s)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop after this long and print the summary (default: until Ctrl-C, SIGTERM or `quit`)')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most connections (and UDP peers) held at once; more are refused')
            [CompletionResult]::new('--message-timeout', '--message-timeout', [CompletionResultType]::ParameterName, 'Deadline for one message to arrive completely, and for TLS/WebSocket handshakes (slow senders are dropped)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Drop a connection after this long without data (default: hold forever; UDP peers: 300 s)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (--json is short for --format json)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)')
            [CompletionResult]::new('--wake-on-stdin', '--wake-on-stdin', [CompletionResultType]::ParameterName, 'Read control lines on stdin: `wake` (all), `wake N` (connection N), `quit`')
            [CompletionResult]::new('--no-answer', '--no-answer', [CompletionResultType]::ParameterName, 'Record requests without answering them')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines on stdout: one typed record per line, ending with a `summary` record')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail (explanations, protocol notes); repeat for more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only failures and the summary; no progress bars')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
