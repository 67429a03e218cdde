//! Numbers written as Python's `str(x.item())` writes them, the form both anchors give each value
//! of the projector's `tensors.tsv`: floats (every float dtype, widened to `f64`) in Python's
//! shortest round-trip `repr`, integers in decimal, booleans as `True` / `False`.

use half::f16;

/// An array element with a Python `str(x.item())` form.
pub trait PyRepr: Copy {
    /// Appends the text to `out`.
    fn write_repr(self, out: &mut Vec<u8>);
}

impl PyRepr for f64 {
    fn write_repr(self, out: &mut Vec<u8>) {
        write_float(self, out);
    }
}

impl PyRepr for f32 {
    #[inline]
    fn write_repr(self, out: &mut Vec<u8>) {
        write_float(f64::from(self), out);
    }
}

impl PyRepr for f16 {
    #[inline]
    fn write_repr(self, out: &mut Vec<u8>) {
        write_float(f64::from(self.to_f32()), out);
    }
}

impl PyRepr for bool {
    #[inline]
    fn write_repr(self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self { b"True" } else { b"False" });
    }
}

macro_rules! int_repr {
    ($($t:ty),*) => {$(
        impl PyRepr for $t {
            #[inline]
            fn write_repr(self, out: &mut Vec<u8>) {
                out.extend_from_slice(itoa::Buffer::new().format(self).as_bytes());
            }
        }
    )*};
}
int_repr!(u8, i8, i16, i32, i64, u16, u32, u64);

/// Python's `repr(x)`: the shortest digits that read back as `x` (zmij finds them), in fixed
/// notation for 1e-4 <= |x| < 1e16 and otherwise as `d.ddde±XX` with at least two exponent
/// digits; `inf`, `-inf`, `nan`.
fn write_float(x: f64, out: &mut Vec<u8>) {
    if !x.is_finite() {
        out.extend_from_slice(match (x.is_nan(), x < 0.0) {
            (true, _) => b"nan".as_slice(),
            (false, false) => b"inf",
            (false, true) => b"-inf",
        });
        return;
    }
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(x).as_bytes();
    // zmij agrees with Python except for two details of the scientific form.
    let (sign, body) = match text.split_first() {
        Some((b'-', rest)) => (b"-".as_slice(), rest),
        _ => (b"".as_slice(), text),
    };
    out.extend_from_slice(sign);
    if let Some(e) = body.iter().position(|&b| b == b'e') {
        // "1e-7" -> "1e-07": Python writes at least two exponent digits.
        let (mantissa, exponent) = body.split_at(e + 2);
        out.extend_from_slice(mantissa);
        if exponent.len() == 1 {
            out.push(b'0');
        }
        out.extend_from_slice(exponent);
    } else if let Some(digits) = body.strip_prefix(b"0.0000") {
        // zmij writes 1e-5 <= |x| < 1e-4 as "0.0000ddd"; Python as "d.dde-05".
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.extend_from_slice(b"e-05");
    } else {
        out.extend_from_slice(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr<T: PyRepr>(x: T) -> String {
        let mut out = Vec::new();
        x.write_repr(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_read_like_python_repr() {
        // Expected strings are Python 3's repr of the same doubles.
        let cases: [(f64, &str); 24] = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (1e-4, "0.0001"),
            (0.00012345, "0.00012345"),
            (1e-5, "1e-05"),
            (-1.5e-5, "-1.5e-05"),
            (9.999e-5, "9.999e-05"),
            (1e-6, "1e-06"),
            (2.9802322387695312e-08, "2.9802322387695312e-08"),
            (5e-324, "5e-324"),
            (1e15, "1000000000000000.0"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123456.789, "123456.789"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "nan"),
            (f64::from(0.1f32), "0.10000000149011612"),
        ];
        for (x, want) in cases {
            assert_eq!(repr(x), want, "{x:e}");
        }
        assert_eq!(repr(1.0f32 / 7.0), "0.1428571492433548");
        assert_eq!(repr(f16::from_f32(0.1)), "0.0999755859375");
    }

    #[test]
    fn integers_and_booleans() {
        assert_eq!(repr(-128i8), "-128");
        assert_eq!(repr(u64::MAX), "18446744073709551615");
        assert_eq!(repr(0u8), "0");
        assert_eq!((repr(true), repr(false)), ("True".to_string(), "False".to_string()));
    }
}
