//! Wall-clock timestamps for records.

/// Now as RFC 3339 UTC (`2026-12-02T07:30:00.123456789Z`), to line records up with the device log.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_is_rfc3339_utc() {
        let now = super::now_rfc3339();
        let parsed =
            time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339);
        assert!(parsed.is_ok_and(|t| t.offset().is_utc()), "{now}");
    }
}
