//! Converting a fraction of equity into units, as backtesting.py does.

/// Python's float floor division `a // b`, bit for bit (CPython's
/// `float_floor_div`): `fmod`-based, so it can differ from `(a / b).floor()`
/// when the quotient rounds up to an integer.
pub(crate) fn python_floor_div(a: f64, b: f64) -> f64 {
    // Away from integer boundaries the plain quotient floors the same way;
    // only near them does the exact (and slower, fmod-based) path matter.
    let quotient = a / b;
    let fraction = quotient - quotient.floor();
    if quotient.is_finite() && fraction > 1e-6 && fraction < 1.0 - 1e-6 {
        return quotient.floor();
    }
    let remainder = a % b;
    let mut quotient = (a - remainder) / b;
    if remainder != 0.0 && ((b < 0.0) != (remainder < 0.0)) {
        quotient -= 1.0;
    }
    if quotient != 0.0 {
        let floored = quotient.floor();
        if quotient - floored > 0.5 { floored + 1.0 } else { floored }
    } else {
        0.0_f64.copysign(a / b)
    }
}

/// Units affordable with `fraction` of `available` equity at `cost_per_unit`
/// (price plus commission per unit); whole units unless `fractional`.
pub(crate) fn units_for_fraction(available: f64, fraction: f64, cost_per_unit: f64, fractional: bool) -> f64 {
    let budget = available * fraction;
    if fractional { budget / cost_per_unit } else { python_floor_div(budget, cost_per_unit) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_division_matches_python_on_and_off_integer_boundaries() {
        // Off boundaries the fast path answers; compare with the exact path on a grid.
        for a in [1.0, 7.3, 1e4, 12_345.678, 99_999.99] {
            for b in [0.1, 0.3, 1.7, 101.01, 333.3333] {
                let q: f64 = a / b;
                let exact = {
                    let r = a % b;
                    let mut d = (a - r) / b;
                    if r != 0.0 && ((b < 0.0) != (r < 0.0)) {
                        d -= 1.0;
                    }
                    let f = d.floor();
                    if d - f > 0.5 { f + 1.0 } else { f }
                };
                assert_eq!(python_floor_div(a, b), exact, "{a} // {b} (quotient {q})");
            }
        }
        // Values checked in CPython: 7.0 // 2.0 == 3.0, 1.0 // 0.1 == 9.0, -7.0 // 2.0 == -4.0
        assert_eq!(python_floor_div(7.0, 2.0), 3.0);
        assert_eq!(python_floor_div(1.0, 0.1), 9.0);
        assert_eq!(python_floor_div(-7.0, 2.0), -4.0);
        assert_eq!((1.0_f64 / 0.1).floor(), 10.0, "plain division rounds up here");
    }

    #[test]
    fn whole_units_round_down_fractional_do_not() {
        assert_eq!(units_for_fraction(1000.0, 1.0, 300.0, false), 3.0);
        assert!((units_for_fraction(1000.0, 1.0, 300.0, true) - 3.3333333333333335).abs() < 1e-15);
    }
}
