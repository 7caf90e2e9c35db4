//! Wall-clock timestamps for records, and the calendar maths every date parser shares.

/// Now as RFC 3339 UTC (`2026-12-02T07:30:00.123456789Z`), to line records up with the device log.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

// Calendar maths, in one place for every parser of dates (log lines, crash reports).
//
// Howard Hinnant's algorithms rather than the `time` crate: they are total (a log line's
// "Feb 31" still gets a time, as it always did, instead of dropping the stamp) and cost a few
// integer operations on the decoding hot path, where every line's stamp goes through them.

/// Days from 1970-01-01 to the proleptic Gregorian date `y-m-d` (Howard Hinnant's
/// `days_from_civil`).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(y, m, d)` of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn now_is_rfc3339_utc() {
        let now = now_rfc3339();
        let parsed =
            time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339);
        assert!(parsed.is_ok_and(|t| t.offset().is_utc()), "{now}");
    }

    #[test]
    fn known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(civil_from_days(19_000), (2022, 1, 8));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    proptest! {
        #[test]
        fn the_same_as_the_time_crate(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            let month = time::Month::try_from(m as u8).unwrap_or(time::Month::January);
            let date = time::Date::from_calendar_date(y as i32, month, d as u8);
            prop_assert!(date.is_ok(), "{y}-{m}-{d}");
            if let Ok(date) = date {
                let epoch = time::Date::from_calendar_date(1970, time::Month::January, 1)
                    .map(time::Date::to_julian_day)
                    .unwrap_or_default();
                prop_assert_eq!(i64::from(date.to_julian_day() - epoch), days);
            }
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
