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
junit\t'JUnit XML for CI test reports'"
complete -c voipctl -n "__fish_voipctl_needs_command" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_needs_command" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_needs_command" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_needs_command" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_needs_command" -s V -l version -d 'Print version'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "check" -d 'VoIP preflight of an .ipa, .app, .xcarchive or Info.plist: background modes, SDK, linkage, entitlements, profile'
complete -c voipctl -n "__fish_voipctl_needs_command" -f -a "completions" -d 'Print shell completions or the man page (or write them all to a directory)'
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l distribution -d 'How the build will be distributed; decides which findings are errors' -r -f -a "appstore\t'App Store / TestFlight (the preflight case)'
adhoc\t'Ad hoc (listed devices)'
development\t'Development (debugger allowed, APNs sandbox)'
enterprise\t'In-house enterprise'"
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l min-days -d 'Warn when the provisioning profile expires within N days' -r
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l format -d 'Output format (--json is short for --format json)' -r -f -a "human\t'Text for people'
json\t'JSON Lines (same as --json)'
junit\t'JUnit XML for CI test reports'"
complete -c voipctl -n "__fish_voipctl_using_subcommand check" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
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
junit\t'JUnit XML for CI test reports'"
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -l json -d 'JSON Lines on stdout: one typed record per line, ending with a `summary` record'
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -s v -l verbose -d 'More detail (explanations, protocol notes); repeat for more'
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -s q -l quiet -d 'Only failures and the summary; no progress bars'
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c voipctl -n "__fish_voipctl_using_subcommand completions" -s V -l version -d 'Print version'
