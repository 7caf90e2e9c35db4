//! Durations as people type them on a command line or in a scenario file: `30` (seconds),
//! `1.5`, `250ms`, `90s`, `5m`, `1h`, `1h30m`. One parser for every flag and file so that every
//! `--duration`, `--timeout` and `every = …` accepts the same forms.

use std::time::Duration;

/// The longest duration accepted (about 31 years); keeps `Duration::from_secs_f64` in range.
const MAX_SECS: f64 = 1.0e9;

/// Why a text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DurationError {
    /// Nothing but whitespace.
    #[error("an empty duration (examples: 30, 500ms, 90s, 5m, 1h30m)")]
    Empty,
    /// A number could not be read.
    #[error("{0:?} is not a duration (examples: 30, 500ms, 90s, 5m, 1h30m)")]
    Malformed(String),
    /// A unit that is not one of ms, s, m, h.
    #[error("unknown unit {unit:?} in {text:?} (use ms, s, m or h)")]
    Unit {
        /// The unit as written.
        unit: String,
        /// The whole text.
        text: String,
    },
    /// Negative, not finite or longer than [`MAX_SECS`].
    #[error("{0:?} is out of range (0 to 1e9 seconds)")]
    Range(String),
}

/// Parse a duration: a plain number of seconds, or one or more `<number><unit>` parts with units
/// `ms`, `s`/`sec`/`secs`, `m`/`min`/`mins`, `h`/`hr`/`hour`/`hours` (e.g. `1h30m`, `2m 10s`).
pub(crate) fn parse(text: &str) -> Result<Duration, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let malformed = || DurationError::Malformed(s.to_string());
    let mut rest = s;
    let mut total = 0.0_f64;
    let mut parts = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(malformed());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| malformed())?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = rest[unit_len..].trim_start();
        let scale = match unit.to_ascii_lowercase().as_str() {
            "" if parts == 0 && rest.is_empty() => 1.0,
            "" => return Err(malformed()),
            "ms" => 0.001,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            _ => {
                return Err(DurationError::Unit {
                    unit: unit.to_string(),
                    text: s.to_string(),
                });
            }
        };
        total += n * scale;
        parts += 1;
    }
    if !total.is_finite() || !(0.0..=MAX_SECS).contains(&total) {
        return Err(DurationError::Range(s.to_string()));
    }
    Ok(Duration::from_secs_f64(total))
}

/// Clap value parser: any duration, zero included.
pub(crate) fn arg(text: &str) -> Result<Duration, String> {
    parse(text).map_err(|e| e.to_string())
}

/// Clap value parser: a duration longer than zero.
pub(crate) fn positive_arg(text: &str) -> Result<Duration, String> {
    match parse(text) {
        Ok(d) if d.is_zero() => Err(format!("{:?} must be longer than zero", text.trim())),
        r => r.map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms_people_type() {
        let ok = |s: &str, ms: u64| assert_eq!(parse(s).unwrap(), Duration::from_millis(ms), "{s}");
        ok("30", 30_000);
        ok("1.5", 1_500);
        ok("250ms", 250);
        ok("90s", 90_000);
        ok("2 sec", 2_000);
        ok("1.5m", 90_000);
        ok("5min", 300_000);
        ok("1h", 3_600_000);
        ok("1h30m", 5_400_000);
        ok("2m 10s", 130_000);
        ok(" 0 ", 0);
        ok("10S", 10_000);
    }

    #[test]
    fn bad_forms_are_explained() {
        assert_eq!(parse(""), Err(DurationError::Empty));
        assert!(matches!(
            parse("5 parsecs"),
            Err(DurationError::Unit { .. })
        ));
        assert!(matches!(parse("-1"), Err(DurationError::Malformed(_))));
        assert!(matches!(parse("1.2.3s"), Err(DurationError::Malformed(_))));
        assert!(matches!(parse("1m30"), Err(DurationError::Malformed(_))));
        assert!(matches!(parse("s"), Err(DurationError::Malformed(_))));
        assert!(matches!(parse("1e400"), Err(DurationError::Unit { .. })));
        assert!(matches!(
            parse("99999999999h"),
            Err(DurationError::Range(_))
        ));
        assert!(positive_arg("0s").is_err());
        assert_eq!(positive_arg("2s").unwrap(), Duration::from_secs(2));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse(&s);
        }

        #[test]
        fn millis_round_trip(ms in 0u64..1_000_000_000) {
            prop_assert_eq!(parse(&format!("{ms}ms")).unwrap(), Duration::from_millis(ms));
        }
    }
}
