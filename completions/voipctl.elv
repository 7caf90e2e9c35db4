
use builtin;
use str;

set edit:completion:arg-completer[voipctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'voipctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'voipctl'= {
            cand --format 'Output format (--json is short for --format json)'
            cand --color 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)'
            cand --json 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
            cand -v 'More detail (explanations, protocol notes); repeat for more'
            cand --verbose 'More detail (explanations, protocol notes); repeat for more'
            cand -q 'Only failures and the summary; no progress bars'
            cand --quiet 'Only failures and the summary; no progress bars'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'VoIP preflight of an .ipa, .app, .xcarchive or Info.plist: background modes, SDK, linkage, entitlements, profile'
            cand completions 'Print shell completions or the man page (or write them all to a directory)'
            cand push 'Send test VoIP (or other) pushes through APNs over HTTP/2 and explain every failure'
        }
        &'voipctl;check'= {
            cand --distribution 'How the build will be distributed; decides which findings are errors'
            cand --min-days 'Warn when the provisioning profile expires within N days'
            cand --format 'Output format (--json is short for --format json)'
            cand --color 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)'
            cand --strict 'Fail (exit 1) on warnings too'
            cand --list-rules 'List the rules (IDs, severities for --distribution, and with -v explanations) and exit'
            cand --json 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
            cand -v 'More detail (explanations, protocol notes); repeat for more'
            cand --verbose 'More detail (explanations, protocol notes); repeat for more'
            cand -q 'Only failures and the summary; no progress bars'
            cand --quiet 'Only failures and the summary; no progress bars'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'voipctl;completions'= {
            cand --dir 'Write every shell''s completions and the man page into DIR (this is how `completions/` is refreshed)'
            cand --format 'Output format (--json is short for --format json)'
            cand --color 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)'
            cand --json 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
            cand -v 'More detail (explanations, protocol notes); repeat for more'
            cand --verbose 'More detail (explanations, protocol notes); repeat for more'
            cand -q 'Only failures and the summary; no progress bars'
            cand --quiet 'Only failures and the summary; no progress bars'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'voipctl;push'= {
            cand --tokens-file 'Read device tokens from FILE, one per line (`-` for stdin; `#` comments, CSV first column)'
            cand --env 'APNs environment: sandbox for development (Xcode) builds, production for TestFlight/App Store'
            cand --apns-url 'Any other APNs-compatible endpoint, e.g. https://apns.internal:8443 (with --ca-cert for a private CA)'
            cand --port 'Port of api.push.apple.com / api.sandbox.push.apple.com'
            cand --ca-cert 'Trust only this CA (PEM) for the server''s certificate; repeatable. Verification is never turned off'
            cand --key 'Token auth: the .p8 key from Certificates, Identifiers & Profiles → Keys'
            cand --key-id 'Token auth: the key''s 10-character key ID'
            cand --team-id 'Token auth: your 10-character team ID'
            cand --token-refresh 'Token auth: renew the token after this many minutes (20-60)'
            cand --p12 'Certificate auth: a .p12 exported from Keychain Access (legacy ciphers and empty passwords work)'
            cand --password-env 'Certificate auth: environment variable that holds the .p12 password'
            cand --cert 'Certificate auth: PEM certificate (chain); the key may be in the same file'
            cand --cert-key 'Certificate auth: PEM private key for --cert'
            cand -b 'App bundle ID; the topic becomes <bundle>.voip for VoIP pushes (<bundle> for alerts…)'
            cand --bundle 'App bundle ID; the topic becomes <bundle>.voip for VoIP pushes (<bundle> for alerts…)'
            cand --topic 'apns-topic, exactly (default: from --bundle or the certificate)'
            cand --push-type 'apns-push-type'
            cand --priority 'apns-priority: 10, 5 or 1 (default 10; 5 for background)'
            cand --expiration 'apns-expiration: UNIX time, 0 = deliver now or never (default 0 for VoIP)'
            cand --collapse-id 'apns-collapse-id (at most 64 bytes)'
            cand --apns-id 'apns-id (lowercase UUID; APNs makes one when absent)'
            cand -H 'Any header, `name:value` (repeatable; overrides the options above)'
            cand --header 'Any header, `name:value` (repeatable; overrides the options above)'
            cand --payload 'JSON payload (default: a minimal one for the push type)'
            cand --payload-file 'Read the JSON payload from FILE (`-` for stdin)'
            cand --concurrency 'Pushes in flight at once, as streams of one HTTP/2 connection (the server''s limit applies too)'
            cand --retries 'Retries per push on 429, 5xx, GOAWAY and resets (never on permanent reasons)'
            cand --timeout 'Seconds to wait for each answer'
            cand --backoff-ms 'First retry delay in milliseconds (doubles each retry)'
            cand --format 'Output format (--json is short for --format json)'
            cand --color 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)'
            cand --no-topic-check 'Send a topic that does not fit the push type (missing or doubled suffix) anyway'
            cand --json 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
            cand -v 'More detail (explanations, protocol notes); repeat for more'
            cand --verbose 'More detail (explanations, protocol notes); repeat for more'
            cand -q 'Only failures and the summary; no progress bars'
            cand --quiet 'Only failures and the summary; no progress bars'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
