use super::body::{DayRange, LineReader, read_json};
use super::*;
use chrono::NaiveDate;

/// `unwrap_err` would need the batch to be `Debug`, which would print ids.
fn refusal<T>(result: Result<T, Refusal>) -> Refusal {
    match result {
        Ok(_) => panic!("accepted"),
        Err(refusal) => refusal,
    }
}

/// The body fed whole, and fed one byte at a time: the same outcome either way.
fn lines(body: &[u8], json: bool, max_ids: usize) -> Result<Vec<String>, Refusal> {
    let mut whole = LineReader::new(json, max_ids);
    let at_once = whole.feed(body).and_then(|()| whole.finish());
    let mut bytes = LineReader::new(json, max_ids);
    let piecewise = body
        .iter()
        .try_for_each(|b| bytes.feed(std::slice::from_ref(b)))
        .and_then(|()| bytes.finish());
    match (&at_once, &piecewise) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{body:?}"),
        (Err(a), Err(b)) => assert_eq!(a.error, b.error, "{body:?}"),
        _ => panic!("chunking changed the outcome of {body:?}"),
    }
    at_once
}

#[test]
fn lines_split_on_newlines_with_an_optional_final_one() {
    for (body, n) in [("a\nb\r\nc\n", 3), ("a", 1), ("", 0), ("\n", 0)] {
        assert_eq!(
            lines(body.as_bytes(), false, 10).unwrap().len(),
            n,
            "{body:?}"
        );
    }
    for (body, problem) in [
        ("a\n\nb", "line 2 is empty"),
        ("a\n\n", "line 2 is empty"),
        ("\n\n", "line 1 is empty"),
        ("\nb", "line 1 is empty"),
        ("\r\n", "line 1 is empty"),
    ] {
        assert_eq!(
            refusal(lines(body.as_bytes(), false, 10)).error,
            problem,
            "{body:?}"
        );
    }
}

#[test]
fn a_line_that_is_not_utf8_is_refused_by_its_byte_position() {
    let err = refusal(lines(b"ab\ncd\xff\n", false, 10));
    assert_eq!(err.error, "the body is not UTF-8 (byte 5)");
}

#[test]
fn ndjson_lines_are_json_strings_or_integers() {
    let batch = lines(b"\"a\\u0062\"\n42\n", true, 10).unwrap();
    assert_eq!(batch, vec!["ab", "42"]);
    let err = refusal(lines(b"\"a\"\n{\"x\":1}\n", true, 10));
    assert_eq!(err.error, "line 2 is not a JSON string or integer");
}

#[test]
fn lines_are_refused_at_the_first_id_over_the_limit() {
    let mut reader = LineReader::new(false, 2);
    reader.feed(b"a\nb\n").unwrap();
    let err = refusal(reader.feed(b"c\n"));
    assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(err.field, Some("ids"));
}

/// A body whose first bytes are `prefix` and whose rest has not arrived: reading
/// past the prefix would wait for it (here: fails the test).
struct Prefix<'a>(&'a [u8]);

impl std::io::Read for Prefix<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        assert!(!self.0.is_empty(), "read past the ids that matter");
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn json_is_refused_at_the_first_id_over_the_limit_without_reading_further() {
    let err = refusal(read_json(
        Prefix(br#"{"metric":"mau","ids":["a",2,"c","#),
        2,
    ));
    assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", err.error);
    assert_eq!(err.field, Some("ids"));
    assert_eq!(err.error, "more than 2 ids in one request");
}

#[test]
fn json_fields_come_in_any_order_and_unknown_ones_are_ignored() {
    let body = br#"{"ids":["a",7],"extra":{"x":[1]},"day":"2026-11-26","metric":"mau"}"#;
    let batch = read_json(&body[..], 10).unwrap();
    assert_eq!(batch.ids, vec!["a", "7"]);
    assert_eq!(batch.metric.as_deref(), Some("mau"));
    assert_eq!(batch.day.as_deref(), Some("2026-11-26"));
}

#[test]
fn a_json_error_never_quotes_the_body() {
    for body in [
        &br#"{"metric":"mau","ids":"secret-user-42"}"#[..],
        br#"{"metric":"mau","ids":["secret-user-42", {}]}"#,
        br#"{"metric":"mau","ids":["secret-user-42"]} trailing"#,
    ] {
        let err = refusal(read_json(body, 10));
        assert_eq!(err.field, Some("body"));
        assert!(!err.error.contains("secret-user-42"), "{}", err.error);
    }
}

#[test]
fn a_day_lies_between_the_longest_window_back_and_tomorrow() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    let days = DayRange::new(today, 30);
    assert_eq!(days.parse(None).unwrap(), today);
    for ok in ["2026-12-03", "2026-12-02", "2026-11-01", "2026-11-02"] {
        assert!(days.parse(Some(ok)).is_ok(), "{ok}");
    }
    for (bad_day, problem) in [
        ("2026-12-04", "the latest accepted is 2026-12-03"),
        ("2026-10-31", "the oldest accepted is 2026-11-01"),
        ("9999-01-01", "future"),
        ("2026-1-5", "like"),
        ("05/01/2026", "like"),
        ("2026-02-30", "like"),
        ("", "like"),
    ] {
        let err = refusal(days.parse(Some(bad_day)));
        assert_eq!(err.field, Some("day"), "{bad_day}");
        assert!(err.error.contains(problem), "{bad_day}: {}", err.error);
    }
}
