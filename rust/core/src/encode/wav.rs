//! Audio for `add_audio`: 16-bit PCM WAV, byte for byte what tensorboardX writes through
//! soundfile (libsndfile): a canonical 44-byte RIFF header and interleaved little-endian samples.

use half::f16;
use ndarray::{ArrayViewD, Axis, Ix2};

use crate::error::{Error, Result};

/// The RIFF/WAVE header (`fmt ` chunk of 16 bytes, `data` chunk header) that precedes the samples.
pub const WAV_HEADER_LEN: usize = 44;

/// An array element read as an amplitude in [-1, 1] and quantised to a 16-bit sample.
///
/// Values outside [-1, 1] are clipped, as tensorboardX does, and quantised as libsndfile does:
/// to 32-bit PCM first (`x * 2^31`, rounded half to even, clipped), keeping the top 16 bits. That
/// is `floor(x * 32768)` (0.5 -> 16384, 1.0 -> 32767, -0.1 -> -3277) except within 2^-16 of a
/// step, which rounds up to it (-1e-11 -> 0). NaN becomes silence (0; libsndfile writes
/// -32768). Integers and booleans are amplitudes too: 0 is silence, 1 full scale.
pub trait Amplitude: Copy {
    fn to_pcm16(self) -> i16;
}

#[inline(always)]
fn quantise(x: f64) -> i16 {
    // Adding and removing 1.5 * 2^52 rounds to an integer, half to even, in two additions: the
    // same as `round_ties_even`, which is a libm call (most of the encoding time) on x86-64
    // without SSE4.1. Exact below 2^51 in magnitude; beyond, the result stays beyond the i32
    // range, and the clip brings it back.
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    let rounded = (x * 2_147_483_648.0 + ROUND) - ROUND;
    // Clipped to i32 (and NaN to 0) before the conversion: `as i32` would do both, but its
    // checks keep the compiler from vectorising the sample loop.
    let clipped = if rounded.is_nan() { 0.0 } else { rounded.clamp(i32::MIN.into(), i32::MAX.into()) };
    // SAFETY: `clipped` is an integer in i32's range.
    let wide = unsafe { clipped.to_int_unchecked::<i32>() };
    (wide >> 16) as i16
}

impl Amplitude for f64 {
    #[inline]
    fn to_pcm16(self) -> i16 {
        quantise(self)
    }
}

impl Amplitude for f32 {
    #[inline]
    fn to_pcm16(self) -> i16 {
        // x * 2^31 is exact in either precision, so f32 data quantises as libsndfile's float path.
        quantise(f64::from(self))
    }
}

impl Amplitude for f16 {
    #[inline]
    fn to_pcm16(self) -> i16 {
        quantise(f64::from(self.to_f32()))
    }
}

impl Amplitude for bool {
    #[inline]
    fn to_pcm16(self) -> i16 {
        if self { i16::MAX } else { 0 }
    }
}

macro_rules! int_amplitude {
    ($($t:ty),*) => {$(
        impl Amplitude for $t {
            #[inline]
            fn to_pcm16(self) -> i16 {
                // Clipped to [-1, 1]: -1, 0 or 1, i.e. full negative scale, silence, full scale.
                match i128::from(self).signum() {
                    1 => i16::MAX,
                    -1 => i16::MIN,
                    _ => 0,
                }
            }
        }
    )*};
}
int_amplitude!(u8, i8, i16, i32, i64, u16, u32, u64);

/// A WAV file and the facts `Summary.Audio` records about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wav {
    pub sample_rate: u32,
    pub channels: u16,
    pub frames: u64,
    /// The whole file: header and samples.
    pub bytes: Vec<u8>,
}

/// `(sample rate, channels, frames)` of a RIFF/WAVE file, read from its `fmt ` and `data`
/// chunks (any writer's: the chunks are walked, not assumed at fixed offsets).
pub fn header(wav: &[u8]) -> Option<(u32, u16, u64)> {
    if wav.get(..4)? != b"RIFF" || wav.get(8..12)? != b"WAVE" {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_le_bytes(wav.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(wav.get(at..at + 4)?.try_into().ok()?));
    let (mut at, mut format) = (12usize, None);
    while at + 8 <= wav.len() {
        let size = u32_at(at + 4)? as usize;
        match wav.get(at..at + 4)? {
            b"fmt " => format = Some((u32_at(at + 12)?, u16_at(at + 10)?, u16_at(at + 20)?)),
            b"data" => {
                let (rate, channels, block_align) = format?;
                return Some((rate, channels, (size / usize::from(block_align.max(1))) as u64));
            }
            _ => {}
        }
        at = at.checked_add(8 + size + size % 2)?; // chunks are padded to even sizes
    }
    None
}

/// Encodes `samples`, shaped `(L,)` (mono) or `(L, C)` with C in {1, 2}, as a 16-bit PCM WAV.
pub fn encode_wav<T: Amplitude>(samples: ArrayViewD<'_, T>, sample_rate: u32) -> Result<Wav> {
    let shape = samples.shape().to_vec();
    let samples = match samples.ndim() {
        1 => samples.insert_axis(Axis(1)),
        _ => samples,
    };
    let samples = samples.into_dimensionality::<Ix2>().map_err(|_| {
        Error::invalid(
            "snd_tensor",
            format!("expected a 1-D (L,) or 2-D (L, C) tensor of samples, got shape {shape:?}"),
        )
    })?;
    let (frames, channels) = samples.dim();
    if !matches!(channels, 1 | 2) {
        return Err(Error::invalid(
            "snd_tensor",
            format!("expected 1 (mono) or 2 (stereo) channels on the second axis, got shape {shape:?}"),
        ));
    }
    if frames == 0 {
        return Err(Error::invalid("snd_tensor", format!("the audio is empty (shape {shape:?})")));
    }
    if sample_rate == 0 {
        return Err(Error::invalid("sample_rate", "expected a positive number of samples per second"));
    }
    let data_len = frames
        .checked_mul(channels * 2)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|&n| n <= u32::MAX - 36)
        .ok_or_else(|| {
            Error::invalid("snd_tensor", format!("{frames} frames do not fit in a WAV file (4 GiB at most)"))
        })?;
    let channels = channels as u16;
    let block_align = channels * 2;
    let byte_rate = sample_rate.checked_mul(u32::from(block_align)).ok_or_else(|| {
        Error::invalid("sample_rate", format!("{sample_rate} Hz is too high for a WAV header"))
    })?;

    let mut bytes = Vec::with_capacity(WAV_HEADER_LEN + data_len as usize);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&channels.to_le_bytes());
    bytes.extend_from_slice(&sample_rate.to_le_bytes());
    bytes.extend_from_slice(&byte_rate.to_le_bytes());
    bytes.extend_from_slice(&block_align.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    bytes.resize(WAV_HEADER_LEN + data_len as usize, 0);
    let out = bytes[WAV_HEADER_LEN..].chunks_exact_mut(2);
    // Row-major order of (L, C) is the interleaved order, whatever the strides.
    match samples.as_slice() {
        Some(contiguous) => {
            out.zip(contiguous).for_each(|(o, &x)| o.copy_from_slice(&x.to_pcm16().to_le_bytes()))
        }
        None => out.zip(samples.iter()).for_each(|(o, &x)| o.copy_from_slice(&x.to_pcm16().to_le_bytes())),
    }
    Ok(Wav { sample_rate, channels, frames: frames as u64, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2, array};

    fn samples(wav: &Wav) -> Vec<i16> {
        wav.bytes[WAV_HEADER_LEN..].chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
    }

    #[test]
    fn header_reads_back_what_was_encoded() {
        let stereo = Array2::<f32>::zeros((300, 2));
        let wav = encode_wav(stereo.view().into_dyn(), 22050).unwrap();
        assert_eq!(header(&wav.bytes), Some((22050, 2, 300)));
        assert_eq!(header(&wav.bytes[..30]), None);
        assert_eq!(header(b"not a wav file at all"), None);
    }

    #[test]
    fn libsndfile_quantisation() {
        // Observed with soundfile (libsndfile 1.2.2).
        let x = array![0.5, 1.0, -1.0, 0.1, -0.1, 0.99999, 1.0 / 65536.0, -1.0 / 65536.0, 2.0, -7.0];
        let wav = encode_wav(x.view().into_dyn(), 8000).unwrap();
        assert_eq!(samples(&wav), [16384, 32767, -32768, 3276, -3277, 32767, 0, -1, 32767, -32768]);
        // Within 2^-16 of a step rounds up to it: not quite floor(x * 32768).
        let near = array![-3.2768e-11, 13621.99999563273 / 32768.0, -14251.00000651642 / 32768.0];
        assert_eq!(samples(&encode_wav(near.view().into_dyn(), 8000).unwrap()), [0, 13622, -14251]);
        let x32 = x.mapv(|v| v as f32);
        assert_eq!(samples(&encode_wav(x32.view().into_dyn(), 8000).unwrap()), samples(&wav));
        let special = array![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0];
        assert_eq!(samples(&encode_wav(special.view().into_dyn(), 8000).unwrap()), [0, 32767, -32768, 0]);
        let ints = array![-3i64, -1, 0, 1, 5];
        assert_eq!(
            samples(&encode_wav(ints.view().into_dyn(), 8000).unwrap()),
            [-32768, -32768, 0, 32767, 32767]
        );
        let bools = array![false, true];
        assert_eq!(samples(&encode_wav(bools.view().into_dyn(), 8000).unwrap()), [0, 32767]);
        let halves = array![f16::from_f32(0.5), f16::from_f32(-0.25)];
        assert_eq!(samples(&encode_wav(halves.view().into_dyn(), 8000).unwrap()), [16384, -8192]);
    }

    #[test]
    fn quantise_rounds_as_round_ties_even() {
        let reference = |x: f64| ((x * 2_147_483_648.0).round_ties_even() as i32 >> 16) as i16;
        let step = 1.0 / 2_147_483_648.0;
        let mut values =
            vec![0.5 * step, 1.5 * step, 2.5 * step, -0.5 * step, -2.5 * step, 5e-324, 1e300, -1e300];
        values.extend([2f64.powi(20), 2f64.powi(21), 2f64.powi(22), 2f64.powi(30)].map(|v| v * (1.0 + step)));
        // Every step of 2^-31 around zero and full scale, and a sweep of the whole range.
        values.extend((-70_000..70_000).map(|k| f64::from(k) * step * 0.5));
        values.extend((-70_000..70_000).map(|k| 1.0 + f64::from(k) * step * 0.5));
        values.extend((0..=200_000).map(|k| -1.2 + f64::from(k) * 1.2e-5));
        for x in values {
            assert_eq!(quantise(x), reference(x), "{x:e}");
        }
    }

    #[test]
    fn canonical_header() {
        // The header soundfile writes for 2 stereo frames at 8 kHz.
        let x = Array2::<f32>::zeros((2, 2));
        let wav = encode_wav(x.view().into_dyn(), 8000).unwrap();
        let expected = "524946462c00000057415645666d74201000000001000200401f0000007d00000400100064617461\
                        08000000";
        let hex: String = wav.bytes[..WAV_HEADER_LEN].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
        assert_eq!(wav.bytes.len(), WAV_HEADER_LEN + 8);
        assert_eq!((wav.sample_rate, wav.channels, wav.frames), (8000, 2, 2));
    }

    #[test]
    fn stereo_is_interleaved_whatever_the_strides() {
        let x = array![[0.5, -0.5], [0.25, -0.25], [0.0, 1.0]];
        let wav = encode_wav(x.view().into_dyn(), 100).unwrap();
        assert_eq!(samples(&wav), [16384, -16384, 8192, -8192, 0, 32767]);
        // The same samples stored channel-major, viewed as (L, C).
        let planar = x.t().to_owned();
        assert_eq!(encode_wav(planar.t().into_dyn(), 100).unwrap(), wav);
        // Mono (L,) is (L, 1).
        let mono = Array1::from(vec![0.5f32, 0.25]);
        let wav = encode_wav(mono.view().into_dyn(), 100).unwrap();
        assert_eq!((wav.channels, wav.frames), (1, 2));
        let column = mono.view().insert_axis(Axis(1));
        assert_eq!(encode_wav(column.into_dyn(), 100).unwrap(), wav);
    }

    #[test]
    fn rejects_bad_input() {
        let arg = |r: Result<Wav>| match r {
            Err(Error::InvalidArgument { arg, .. }) => arg,
            other => panic!("expected InvalidArgument, got {other:?}"),
        };
        assert_eq!(arg(encode_wav(Array2::<f32>::zeros((4, 3)).view().into_dyn(), 8000)), "snd_tensor");
        assert_eq!(arg(encode_wav(Array2::<f32>::zeros((0, 1)).view().into_dyn(), 8000)), "snd_tensor");
        assert_eq!(
            arg(encode_wav(ndarray::Array3::<f32>::zeros((2, 2, 1)).view().into_dyn(), 8000)),
            "snd_tensor"
        );
        assert_eq!(arg(encode_wav(ndarray::arr0(0.5f32).view().into_dyn(), 8000)), "snd_tensor");
        assert_eq!(arg(encode_wav(Array1::<f32>::zeros(3).view().into_dyn(), 0)), "sample_rate");
        assert_eq!(arg(encode_wav(Array2::<f32>::zeros((3, 2)).view().into_dyn(), u32::MAX)), "sample_rate");
    }
}
