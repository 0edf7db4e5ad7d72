//! Typed quantities. Counts are `u64` with checked arithmetic: an overflow is a bug in the caller's
//! sizing (reported as a [`Diagnostic`](crate::Diagnostic) by `checked_*`), never a silent wrap.
//! Energies and areas are `f64`. `Display` always prints the unit.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! count_unit {
    ($(#[$m:meta])* $name:ident, $unit:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            pub const ZERO: Self = Self(0);
            /// Checked addition; `None` on overflow.
            pub fn checked_add(self, o: Self) -> Option<Self> {
                self.0.checked_add(o.0).map(Self)
            }
            /// Checked subtraction; `None` on underflow.
            pub fn checked_sub(self, o: Self) -> Option<Self> {
                self.0.checked_sub(o.0).map(Self)
            }
            /// Checked multiplication by a plain count.
            pub fn checked_mul(self, k: u64) -> Option<Self> {
                self.0.checked_mul(k).map(Self)
            }
            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl std::ops::Add for $name {
            type Output = Self;
            /// Panics on overflow: counts in Tessera are bounded by validated sizes, so an overflow
            /// here is an internal bug, not a user error.
            fn add(self, o: Self) -> Self {
                Self(self.0.checked_add(o.0).expect(concat!(stringify!($name), " overflow")))
            }
        }
        impl std::ops::AddAssign for $name {
            fn add_assign(&mut self, o: Self) {
                *self = *self + o;
            }
        }
        impl std::iter::Sum for $name {
            fn sum<I: Iterator<Item = Self>>(it: I) -> Self {
                it.fold(Self::ZERO, |a, b| a + b)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.0, $unit)
            }
        }
    };
}

count_unit!(
    /// A number of clock cycles.
    Cycles, "cycles"
);
count_unit!(
    /// A number of bytes.
    Bytes, "B"
);

macro_rules! real_unit {
    ($(#[$m:meta])* $name:ident, $unit:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub f64);

        impl $name {
            pub const ZERO: Self = Self(0.0);
            pub fn get(self) -> f64 {
                self.0
            }
        }
        impl std::ops::Add for $name {
            type Output = Self;
            fn add(self, o: Self) -> Self {
                Self(self.0 + o.0)
            }
        }
        impl std::ops::AddAssign for $name {
            fn add_assign(&mut self, o: Self) {
                self.0 += o.0;
            }
        }
        impl std::ops::Mul<f64> for $name {
            type Output = Self;
            fn mul(self, k: f64) -> Self {
                Self(self.0 * k)
            }
        }
        impl std::iter::Sum for $name {
            fn sum<I: Iterator<Item = Self>>(it: I) -> Self {
                it.fold(Self::ZERO, |a, b| a + b)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:.3} {}", self.0, $unit)
            }
        }
    };
}

real_unit!(
    /// Energy in picojoules.
    PicoJoules, "pJ"
);
real_unit!(
    /// Area in square micrometres.
    SquareMicrons, "µm²"
);

/// A real number for a message: plain when it reads well, in scientific notation when it is very
/// small or very large (so a subnormal does not print three hundred zeros).
pub fn fmt_real(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-3..1e9).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Sum counts with overflow checking: an overflow is reported as a [`Diagnostic`](crate::Diagnostic)
/// naming `what`, never a silent wrap.
pub fn checked_sum(it: impl IntoIterator<Item = u64>, what: &str) -> crate::Result<u64> {
    it.into_iter()
        .try_fold(0u64, |a, b| a.checked_add(b))
        .ok_or_else(|| crate::Diagnostic::new(format!("{what} overflows 64 bits")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_unit() {
        assert_eq!(Cycles(12).to_string(), "12 cycles");
        assert_eq!(Bytes(3).to_string(), "3 B");
        assert_eq!(PicoJoules(1.5).to_string(), "1.500 pJ");
        assert_eq!(SquareMicrons(2.0).to_string(), "2.000 µm²");
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Cycles(u64::MAX).checked_add(Cycles(1)), None);
        assert_eq!(Bytes(1).checked_sub(Bytes(2)), None);
        assert_eq!(Bytes(7).checked_mul(3), Some(Bytes(21)));
    }
}
