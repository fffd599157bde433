//! A count is an estimate: a value and its standard error, never a bare number.

use super::hll::STANDARD_ERROR;
use crate::text::number::format_grouped;
use std::fmt;

/// A HyperLogLog count with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimated number of distinct ids (what `PFCOUNT` answers).
    pub value: u64,
    /// One standard error, in ids (not a fraction): `value × 1.04/√16384`.
    pub std_error: f64,
}

/// The multiple of the standard error that gives a 95 % interval.
pub const Z_95: f64 = 1.96;

impl Estimate {
    /// An estimate of `value` with the sketch's relative standard error.
    pub fn new(value: u64) -> Self {
        Estimate {
            value,
            std_error: value as f64 * STANDARD_ERROR,
        }
    }

    /// The standard error as a fraction of the value (0.0081 for our sketches).
    pub fn relative_error(&self) -> f64 {
        if self.value == 0 {
            STANDARD_ERROR
        } else {
            self.std_error / self.value as f64
        }
    }

    /// `value ± k standard errors`, rounded outwards and never below zero.
    pub fn interval(&self, k: f64) -> (u64, u64) {
        let half = k * self.std_error;
        let lo = (self.value as f64 - half).floor().max(0.0) as u64;
        let hi = (self.value as f64 + half).ceil() as u64;
        (lo, hi)
    }
}

/// `1,234,567 ± 0.81%`.
impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ± {:.2}%",
            format_grouped(self.value),
            self.relative_error() * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_shows_grouped_digits_and_the_relative_error() {
        assert_eq!(Estimate::new(1_234_567).to_string(), "1,234,567 ± 0.81%");
        assert_eq!(Estimate::new(0).to_string(), "0 ± 0.81%");
        assert_eq!(Estimate::new(999).to_string(), "999 ± 0.81%");
        assert_eq!(Estimate::new(1000).to_string(), "1,000 ± 0.81%");
    }

    #[test]
    fn the_standard_error_is_absolute_and_proportional_to_the_value() {
        let e = Estimate::new(1_000_000);
        assert!((e.std_error - 8125.0).abs() < 1e-6, "{}", e.std_error);
        assert!((e.relative_error() - 0.008125).abs() < 1e-12);
    }

    #[test]
    fn the_interval_widens_with_k_and_never_goes_below_zero() {
        let e = Estimate::new(1_000_000);
        assert_eq!(e.interval(1.0), (991_875, 1_008_125));
        assert_eq!(e.interval(Z_95), (984_075, 1_015_925));
        assert_eq!(Estimate::new(0).interval(3.0), (0, 0));
        let tiny = Estimate {
            value: 1,
            std_error: 5.0,
        };
        assert_eq!(tiny.interval(1.0), (0, 6));
    }
}
