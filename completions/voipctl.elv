
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
    ]
    $completions[$command]
}
