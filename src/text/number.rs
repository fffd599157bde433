//! Counts as admins type them and as announcements print them.
//!
//! Parsing accepts what people write in a chat (`200M`, `200,000,000`,
//! `1.5 billion`) and refuses anything that is not a whole number of ids above zero,
//! with a message that names the input, because the admin reads it in Telegram.
//! Formatting uses the short scale (thousand, million, billion, trillion).

/// Why a count could not be read. Each message names the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Nothing but whitespace was given.
    #[error("no number given; write a count such as 200M or 200,000,000")]
    Empty,
    /// Not digits, or digits followed by something that is not a known unit.
    #[error("\"{input}\" is not a number; write a count such as 200M, 1.5B or 200,000,000")]
    NotANumber { input: String },
    /// Digits followed by a word or letter we do not know.
    #[error(
        "\"{input}\" has an unknown unit \"{unit}\"; use K, M, B or T (thousand, million, billion, trillion)"
    )]
    UnknownUnit { input: String, unit: String },
    /// Thousands separators in the wrong places, e.g. `1,5M` (a decimal comma).
    #[error(
        "\"{input}\" has misplaced separators; group digits by three (200,000,000) and use a dot for decimals (1.5M)"
    )]
    BadGrouping { input: String },
    /// A minus sign: counts of users are never negative.
    #[error("\"{input}\" is negative; a count must be above zero")]
    Negative { input: String },
    /// Zero is no milestone.
    #[error("\"{input}\" is zero; a count must be above zero")]
    Zero { input: String },
    /// The value is not a whole number, e.g. `1.2345K` = 1234.5.
    #[error("\"{input}\" is not a whole number")]
    Fractional { input: String },
    /// Above u64::MAX.
    #[error("\"{input}\" is too large; the largest count is 18,446,744,073,709,551,615")]
    TooLarge { input: String },
}

/// Short-scale units, smallest first: (short suffix, word, value).
const UNITS: [(&str, &str, u64); 4] = [
    ("K", "thousand", 1_000),
    ("M", "million", 1_000_000),
    ("B", "billion", 1_000_000_000),
    ("T", "trillion", 1_000_000_000_000),
];

/// Reads a count above zero: `200000000`, `200,000,000`, `200_000_000`, `200M`,
/// `200m`, `1.5B`, `2.5K`, `1T`, `200 million`, `1.5 bn`.
pub fn parse_count(s: &str) -> Result<u64, NumberError> {
    let input = s.trim();
    if input.is_empty() {
        return Err(NumberError::Empty);
    }
    let owned = || input.to_string();
    if input.starts_with('-') {
        return Err(NumberError::Negative { input: owned() });
    }
    let split = input
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, ',' | '_' | '.')))
        .unwrap_or(input.len());
    let (digits, unit) = (&input[..split], input[split..].trim());
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(NumberError::NotANumber { input: owned() });
    }
    let multiplier = unit_value(unit).ok_or_else(|| NumberError::UnknownUnit {
        input: owned(),
        unit: unit.to_string(),
    })?;
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) if !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()) => (w, f),
        Some(_) => return Err(NumberError::NotANumber { input: owned() }),
        None => (digits, ""),
    };
    let whole = ungroup(whole).ok_or_else(|| NumberError::BadGrouping { input: owned() })?;
    let value = exact_value(&whole, fraction, multiplier).map_err(|e| match e {
        Inexact::Overflow => NumberError::TooLarge { input: owned() },
        Inexact::Fraction => NumberError::Fractional { input: owned() },
    })?;
    if value == 0 {
        return Err(NumberError::Zero { input: owned() });
    }
    Ok(value)
}

fn unit_value(unit: &str) -> Option<u64> {
    let unit = unit.to_ascii_lowercase();
    if unit.is_empty() {
        return Some(1);
    }
    let extra = [("bn", 1_000_000_000), ("mn", 1_000_000)];
    UNITS
        .iter()
        .find(|(short, word, _)| unit == short.to_ascii_lowercase() || unit == *word)
        .map(|&(_, _, v)| v)
        .or_else(|| extra.iter().find(|(s, _)| unit == *s).map(|&(_, v)| v))
}

/// Removes `,` or `_` separators, which must group digits by three.
fn ungroup(whole: &str) -> Option<String> {
    let separators: Vec<char> = whole.chars().filter(|c| !c.is_ascii_digit()).collect();
    let Some(&sep) = separators.first() else {
        return Some(whole.to_string());
    };
    if separators.iter().any(|&c| c != sep) {
        return None;
    }
    let mut groups = whole.split(sep);
    let first = groups.next()?;
    let first_ok = (1..=3).contains(&first.len());
    (first_ok && groups.all(|g| g.len() == 3)).then(|| whole.replace(sep, ""))
}

enum Inexact {
    Overflow,
    Fraction,
}

/// `whole.fraction × multiplier`, exactly, in integers.
fn exact_value(whole: &str, fraction: &str, multiplier: u64) -> Result<u64, Inexact> {
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 38 {
        return Err(Inexact::Overflow);
    }
    let numerator: u128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| Inexact::Overflow)?
    };
    let scaled = numerator
        .checked_mul(u128::from(multiplier))
        .ok_or(Inexact::Overflow)?;
    let denominator = 10u128
        .checked_pow(fraction.len() as u32)
        .ok_or(Inexact::Fraction)?;
    if scaled % denominator != 0 {
        return Err(Inexact::Fraction);
    }
    u64::try_from(scaled / denominator).map_err(|_| Inexact::Overflow)
}

/// `200000000` → `"200,000,000"`.
pub fn format_grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `200000000` → `"200M"`, `1500000000` → `"1.5B"`, `999` → `"999"`.
///
/// At most two decimals, truncated and never rounded up: a count of 1,999,999 is
/// "1.99M", because "2M" would claim a milestone not yet reached.
pub fn format_short(n: u64) -> String {
    scaled(n, |short, _| short)
}

/// `200000000` → `"200 million"`, `1500000000` → `"1.5 billion"`, `1000` →
/// `"1 thousand"`; below 1,000 plain digits. Truncated like [`format_short`].
pub fn format_words(n: u64) -> String {
    scaled(n, |_, word| format!(" {word}"))
}

fn scaled(n: u64, suffix: impl Fn(String, &str) -> String) -> String {
    let Some(&(short, word, unit)) = UNITS.iter().rev().find(|(_, _, u)| n >= *u) else {
        return n.to_string();
    };
    let whole = format_grouped(n / unit);
    let hundredths = (n % unit) / (unit / 100);
    let decimals = match (hundredths / 10, hundredths % 10) {
        (0, 0) => String::new(),
        (tenths, 0) => format!(".{tenths}"),
        _ => format!(".{hundredths:02}"),
    };
    format!("{whole}{decimals}{}", suffix(short.to_string(), word))
}

/// `1` → `"1st"`, `2` → `"2nd"`, `11` → `"11th"`, `101` → `"101st"`.
pub fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_every_accepted_form_parse_to_the_same_value() {
        let cases = [
            ("200000000", 200_000_000),
            ("200,000,000", 200_000_000),
            ("200_000_000", 200_000_000),
            ("200M", 200_000_000),
            ("200m", 200_000_000),
            ("200 million", 200_000_000),
            ("200 Million", 200_000_000),
            ("  200M  ", 200_000_000),
            ("1.5B", 1_500_000_000),
            ("1.5 bn", 1_500_000_000),
            ("2.5K", 2_500),
            ("1T", 1_000_000_000_000),
            ("1.2345M", 1_234_500),
            ("1.0", 1),
            ("0.5K", 500),
            ("999", 999),
            ("18446744073709551615", u64::MAX),
            ("18,446,744,073,709,551,615", u64::MAX),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_count(input), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn invalid_counts_are_refused_with_the_reason() {
        use NumberError::*;
        let s = |x: &str| x.to_string();
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("0", Zero { input: s("0") }),
            ("0.0M", Zero { input: s("0.0M") }),
            ("-5", Negative { input: s("-5") }),
            ("abc", NotANumber { input: s("abc") }),
            (".5M", NotANumber { input: s(".5M") }),
            ("5.M", NotANumber { input: s("5.M") }),
            (
                "1e40",
                UnknownUnit {
                    input: s("1e40"),
                    unit: s("e40"),
                },
            ),
            (
                "5 apples",
                UnknownUnit {
                    input: s("5 apples"),
                    unit: s("apples"),
                },
            ),
            (
                "1.2345K",
                Fractional {
                    input: s("1.2345K"),
                },
            ),
            ("1,5M", BadGrouping { input: s("1,5M") }),
            (
                "18446744073709551616",
                TooLarge {
                    input: s("18446744073709551616"),
                },
            ),
            (
                "20000000T",
                TooLarge {
                    input: s("20000000T"),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_count(input), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn error_messages_name_the_input() {
        for input in ["abc", "0", "-5", "1.2345K", "1e40", "99999999999999999999"] {
            let message = parse_count(input).unwrap_err().to_string();
            assert!(message.contains(input), "{message}");
        }
    }

    #[test]
    fn a_thousands_separator_must_group_by_three() {
        for input in ["2,00", "20,0000", "1,000_000", ",100"] {
            assert!(parse_count(input).is_err(), "input {input:?}");
        }
    }

    #[test]
    fn grouped_numbers_have_a_comma_every_three_digits() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (200_000_000, "200,000,000"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ];
        for (n, expected) in cases {
            assert_eq!(format_grouped(n), expected);
        }
    }

    #[test]
    fn short_and_word_forms_use_the_largest_unit_and_never_round_up() {
        let cases = [
            (999, "999", "999"),
            (1_000, "1K", "1 thousand"),
            (2_500, "2.5K", "2.5 thousand"),
            (200_000_000, "200M", "200 million"),
            (1_500_000_000, "1.5B", "1.5 billion"),
            (1_250_000, "1.25M", "1.25 million"),
            (1_050_000, "1.05M", "1.05 million"),
            (1_999_999, "1.99M", "1.99 million"),
            (1_000_000_000_000, "1T", "1 trillion"),
            (u64::MAX, "18,446,744.07T", "18,446,744.07 trillion"),
        ];
        for (n, short, words) in cases {
            assert_eq!(format_short(n), short, "{n}");
            assert_eq!(format_words(n), words, "{n}");
        }
    }

    #[test]
    fn exact_short_forms_parse_back_to_the_same_number() {
        for n in [1_000, 2_500, 10_000_000, 1_500_000_000, 1_250_000, 7] {
            assert_eq!(parse_count(&format_short(n)), Ok(n));
            assert_eq!(parse_count(&format_words(n)), Ok(n));
        }
    }

    #[test]
    fn ordinals_follow_english_rules_including_the_teens() {
        let cases = [
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (21, "21st"),
            (22, "22nd"),
            (23, "23rd"),
            (101, "101st"),
            (111, "111th"),
            (112, "112th"),
        ];
        for (n, expected) in cases {
            assert_eq!(ordinal(n), expected);
        }
    }
}
