
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
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
