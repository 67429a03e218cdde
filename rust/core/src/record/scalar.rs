//! The scalar event, encoded by hand: the hot path of `add_scalar`.
//!
//! Building a prost `Event` for one float costs three allocations and a walk over nested
//! messages; this writes the same bytes (checked against prost in the tests) straight into the
//! writer's batch.

use prost::encoding::{self, WireType, encode_key, encode_varint, encoded_len_varint};

use crate::record;

/// Appends the framed record of the event [`encode_into`] encodes.
pub fn frame_into(out: &mut Vec<u8>, tag: &str, value: f32, step: i64, wall_time: f64) {
    record::frame_with(out, |out| encode_into(out, tag, value, step, wall_time));
}

/// Appends `Event{wall_time, step, summary{value{tag, simple_value}}}`, byte for byte what prost
/// writes for that message.
///
/// Like prost (proto3), fields holding their default value are left out: an empty tag, step 0,
/// wall time 0. `simple_value` is in a oneof, so it is always written.
pub fn encode_into(out: &mut Vec<u8>, tag: &str, value: f32, step: i64, wall_time: f64) {
    let tag_len = if tag.is_empty() { 0 } else { 1 + encoded_len_varint(tag.len() as u64) + tag.len() };
    let value_len = tag_len + 1 + 4;
    let summary_len = 1 + encoded_len_varint(value_len as u64) + value_len;
    let step_len = if step == 0 { 0 } else { 1 + encoded_len_varint(step as u64) };
    let wall_time_len = if wall_time == 0.0 { 0 } else { 1 + 8 };
    let event_len = wall_time_len + step_len + 1 + encoded_len_varint(summary_len as u64) + summary_len;

    out.reserve(event_len + record::OVERHEAD);
    let start = out.len();
    if wall_time != 0.0 {
        encoding::double::encode(1, &wall_time, out);
    }
    if step != 0 {
        encoding::int64::encode(2, &step, out);
    }
    encode_key(5, WireType::LengthDelimited, out);
    encode_varint(summary_len as u64, out);
    encode_key(1, WireType::LengthDelimited, out);
    encode_varint(value_len as u64, out);
    if !tag.is_empty() {
        encode_key(1, WireType::LengthDelimited, out);
        encode_varint(tag.len() as u64, out);
        out.extend_from_slice(tag.as_bytes());
    }
    encoding::float::encode(2, &value, out);
    debug_assert_eq!(out.len() - start, event_len);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary;

    #[test]
    fn same_bytes_as_prost() {
        let long_tag = "t".repeat(300);
        for tag in ["", "loss", "train/metric_1", "ünïcödé", long_tag.as_str()] {
            for step in [0, 1, 127, 128, -1, i64::MAX, i64::MIN] {
                for value in [0.0, -0.0, 1.5, f32::NAN, f32::INFINITY, f32::MIN_POSITIVE] {
                    for wall_time in [0.0, -0.0, 1.7e9, 1e-300] {
                        let mut fast = Vec::new();
                        frame_into(&mut fast, tag, value, step, wall_time);
                        let event =
                            summary::event(vec![summary::scalar(tag, value, "", "")], Some(step), wall_time)
                                .unwrap();
                        let mut slow = Vec::new();
                        record::frame_message_into(&mut slow, &event);
                        assert_eq!(fast, slow, "tag {tag:?} step {step} value {value} wall_time {wall_time}");
                    }
                }
            }
        }
    }
}
