//! The one exit-code table. Scripts and CI gates rely on these numbers: "checks failed" is never
//! the same code as "could not run", and each kind of "could not run" has its own code.

use serde::Serialize;

/// Process exit status of `voipctl`. The README's table is generated from the same list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// Everything ran and nothing failed (also: output pipe closed by the reader).
    Ok,
    /// Everything ran, and findings, thresholds or pushes failed.
    ChecksFailed,
    /// The command line is wrong.
    Usage,
    /// An input file is unreadable or malformed (bundle, plist, log, key, scenario).
    Input,
    /// The phone or usbmuxd could not be reached or refused (locked, not paired, unplugged).
    Device,
    /// A network peer or service failed (APNs, signalling server, TLS, DNS, timeouts).
    Network,
    /// Our own output could not be written (stdout/stderr other than a closed pipe, or a file
    /// voipctl writes).
    Output,
    /// Interrupted by Ctrl-C (SIGINT) or SIGTERM.
    Interrupted,
}

impl Code {
    /// Every code, in table order.
    pub const ALL: [Code; 8] = [
        Code::Ok,
        Code::ChecksFailed,
        Code::Usage,
        Code::Input,
        Code::Device,
        Code::Network,
        Code::Output,
        Code::Interrupted,
    ];

    /// The numeric exit status.
    pub fn as_u8(self) -> u8 {
        match self {
            Code::Ok => 0,
            Code::ChecksFailed => 1,
            Code::Usage => 2,
            Code::Input => 3,
            Code::Device => 4,
            Code::Network => 5,
            Code::Output => 6,
            Code::Interrupted => 130,
        }
    }

    /// One line for the README table and `--help`.
    pub fn meaning(self) -> &'static str {
        match self {
            Code::Ok => "success; also when the reader of stdout goes away (broken pipe)",
            Code::ChecksFailed => {
                "ran to the end and something failed: error findings, --strict warnings, --fail-on thresholds, failed pushes or probes"
            }
            Code::Usage => "invalid command line",
            Code::Input => {
                "unreadable or malformed input: bundle, plist, Mach-O, log, key, scenario file"
            }
            Code::Device => {
                "device or usbmuxd problem: none attached, locked, not trusted, unplugged, timed out"
            }
            Code::Network => {
                "network or service problem: connection refused or reset, TLS, HTTP/2, timeouts"
            }
            Code::Output => {
                "could not write the output: stdout/stderr (disk full, closed terminal), --record, --write-cert or completions --dir"
            }
            Code::Interrupted => "interrupted by Ctrl-C or SIGTERM (after printing the summary)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let mut seen: Vec<u8> = Code::ALL.iter().map(|c| c.as_u8()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), Code::ALL.len());
    }

    /// The README's table is this table: same codes, same words, same order.
    #[test]
    fn readme_table_matches() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("## Exit codes")
            .unwrap_or_else(|| panic!("README has no exit-code section"));
        let rows: Vec<&str> = readme[start..]
            .lines()
            .skip_while(|l| !l.starts_with("|---"))
            .skip(1)
            .take_while(|l| l.starts_with('|'))
            .collect();
        let want: Vec<String> = Code::ALL
            .iter()
            .map(|c| {
                // The README puts options in backticks.
                let mut m = c.meaning().to_string();
                for opt in [
                    "--strict",
                    "--fail-on",
                    "--record",
                    "--write-cert",
                    "completions --dir",
                ] {
                    m = m.replace(opt, &format!("`{opt}`"));
                }
                format!("| {} | {} |", c.as_u8(), m)
            })
            .collect();
        assert_eq!(rows, want);
    }

    /// `--help` names every code.
    #[test]
    fn help_lists_every_code() {
        let help = crate::cli::AFTER_HELP;
        for c in Code::ALL {
            assert!(help.contains(&format!(" {} ", c.as_u8())), "{help}");
        }
    }
}
