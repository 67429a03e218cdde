//! The fields of an `Event` read in place from its record, without building the message: the
//! scalar rows of a run are most of its records, and decoding each into owned protobuf types
//! would allocate a tag string per row. Sub-messages that are rare or large (histograms,
//! images, tensors) are decoded with prost by the caller.

use prost::encoding::WireType;

/// Why a record is not a readable `Event`.
#[derive(Debug, thiserror::Error)]
pub(super) enum DecodeError {
    #[error(transparent)]
    Prost(#[from] prost::DecodeError),
    #[error("{0}")]
    Malformed(&'static str),
}

/// One field of a message: its number and its value, borrowed from the record.
#[derive(Clone, Copy)]
pub(super) enum Field<'a> {
    Varint(u64),
    Fixed64([u8; 8]),
    Fixed32([u8; 4]),
    Bytes(&'a [u8]),
}

/// The fields of the message `buf`, in order.
pub(super) fn fields(buf: &[u8]) -> Fields<'_> {
    Fields { buf }
}

pub(super) struct Fields<'a> {
    buf: &'a [u8],
}

impl<'a> Fields<'a> {
    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError::Malformed("a field runs past the end of its message"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    /// A base-128 varint; prost's decoder is generic over its `Buf`, and this loop runs several
    /// times per record.
    #[inline]
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for (i, &byte) in self.buf.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                self.buf = &self.buf[i + 1..];
                return Ok(value);
            }
        }
        Err(DecodeError::Malformed("a varint runs past the end of its message or ten bytes"))
    }

    #[inline]
    fn field(&mut self) -> Result<(u32, Field<'a>), DecodeError> {
        let key = self.varint()?;
        let number =
            u32::try_from(key >> 3).map_err(|_| DecodeError::Malformed("a field number out of range"))?;
        let wire_type =
            WireType::try_from(key & 7).map_err(|_| DecodeError::Malformed("an unknown wire type"))?;
        let value = match wire_type {
            WireType::Varint => Field::Varint(self.varint()?),
            WireType::SixtyFourBit => Field::Fixed64(self.take(8)?.try_into().expect("8 bytes")),
            WireType::ThirtyTwoBit => Field::Fixed32(self.take(4)?.try_into().expect("4 bytes")),
            WireType::LengthDelimited => {
                let len = self.varint()?;
                Field::Bytes(self.take(usize::try_from(len).unwrap_or(usize::MAX))?)
            }
            WireType::StartGroup | WireType::EndGroup => {
                return Err(DecodeError::Malformed("groups are not used by TensorBoard's messages"));
            }
        };
        Ok((number, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Field<'a>), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let next = self.field();
        if next.is_err() {
            self.buf = &[]; // nothing after a malformed field can be trusted
        }
        Some(next)
    }
}

/// The parts of an `Event` the reader looks at.
#[derive(Default)]
pub(super) struct EventView<'a> {
    pub wall_time: f64,
    pub step: i64,
    pub file_version: Option<&'a [u8]>,
    /// The encoded `Summary`.
    pub summary: Option<&'a [u8]>,
    /// A `SessionLog` with status `START`: a writer (re)started at this step.
    pub session_start: bool,
}

const SESSION_START: u64 = 1;

impl<'a> EventView<'a> {
    pub fn parse(record: &'a [u8]) -> Result<Self, DecodeError> {
        let mut event = EventView::default();
        for field in fields(record) {
            match field? {
                (1, Field::Fixed64(bytes)) => event.wall_time = f64::from_le_bytes(bytes),
                (2, Field::Varint(step)) => event.step = step as i64,
                (3, Field::Bytes(version)) => event.file_version = Some(version),
                (5, Field::Bytes(summary)) => event.summary = Some(summary),
                (7, Field::Bytes(session_log)) => {
                    for field in fields(session_log) {
                        if let (1, Field::Varint(status)) = field? {
                            event.session_start = status == SESSION_START;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(event)
    }
}

/// What a `Summary.Value` holds: the value's field number in the `value` oneof and its bytes.
#[derive(Clone, Copy)]
pub(super) enum Payload<'a> {
    Simple(f32),
    Histogram(&'a [u8]),
    Image(&'a [u8]),
    Audio(&'a [u8]),
    Tensor(&'a [u8]),
}

/// One `Summary.Value`, borrowed.
pub(super) struct ValueView<'a> {
    pub tag: &'a [u8],
    /// The encoded `SummaryMetadata`, if the value carries one.
    pub metadata: Option<&'a [u8]>,
    pub payload: Option<Payload<'a>>,
}

impl<'a> ValueView<'a> {
    fn parse(value: &'a [u8]) -> Result<Self, DecodeError> {
        let mut view = ValueView { tag: &[], metadata: None, payload: None };
        let mut node_name: &[u8] = &[];
        for field in fields(value) {
            match field? {
                (1, Field::Bytes(tag)) => view.tag = tag,
                (7, Field::Bytes(name)) => node_name = name,
                (9, Field::Bytes(metadata)) => view.metadata = Some(metadata),
                (2, Field::Fixed32(bytes)) => view.payload = Some(Payload::Simple(f32::from_le_bytes(bytes))),
                (4, Field::Bytes(image)) => view.payload = Some(Payload::Image(image)),
                (5, Field::Bytes(histogram)) => view.payload = Some(Payload::Histogram(histogram)),
                (6, Field::Bytes(audio)) => view.payload = Some(Payload::Audio(audio)),
                (8, Field::Bytes(tensor)) => view.payload = Some(Payload::Tensor(tensor)),
                _ => {}
            }
        }
        // TensorBoard names a tensor without a tag by its node name.
        if view.tag.is_empty() && matches!(view.payload, Some(Payload::Tensor(_))) {
            view.tag = node_name;
        }
        Ok(view)
    }
}

/// The values of an encoded `Summary`, in order.
pub(super) fn summary_values(summary: &[u8]) -> impl Iterator<Item = Result<ValueView<'_>, DecodeError>> {
    fields(summary).filter_map(|field| match field {
        Ok((1, Field::Bytes(value))) => Some(ValueView::parse(value)),
        Ok(_) => None,
        Err(e) => Some(Err(e)),
    })
}

/// The plugin name of an encoded `SummaryMetadata` ("" when it names none).
pub(super) fn plugin_name(metadata: &[u8]) -> Result<&[u8], DecodeError> {
    let mut name: &[u8] = &[];
    for field in fields(metadata) {
        if let (1, Field::Bytes(plugin_data)) = field? {
            for field in fields(plugin_data) {
                if let (1, Field::Bytes(plugin)) = field? {
                    name = plugin;
                }
            }
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::proto::{Event, SessionLog, Summary, event, session_log, summary};

    #[test]
    fn reads_what_prost_writes() {
        let event = Event {
            wall_time: 1.25,
            step: -3,
            source_metadata: None,
            what: Some(event::What::Summary(Summary {
                value: vec![
                    crate::summary::scalar("loss", 0.5, "", ""),
                    crate::summary::text("note", "hello"),
                ],
            })),
        };
        let bytes = event.encode_to_vec();
        let view = EventView::parse(&bytes).unwrap();
        assert_eq!((view.wall_time, view.step, view.session_start), (1.25, -3, false));
        let values: Vec<_> = summary_values(view.summary.unwrap()).collect::<Result<_, _>>().unwrap();
        assert_eq!(values[0].tag, b"loss");
        assert!(matches!(values[0].payload, Some(Payload::Simple(v)) if v == 0.5));
        assert_eq!(values[1].tag, b"note/text_summary");
        assert_eq!(plugin_name(values[1].metadata.unwrap()).unwrap(), b"text");
        assert!(matches!(values[1].payload, Some(Payload::Tensor(_))));
    }

    #[test]
    fn session_start() {
        let event = Event {
            wall_time: 0.0,
            step: 10,
            source_metadata: None,
            what: Some(event::What::SessionLog(SessionLog {
                status: session_log::SessionStatus::Start as i32,
                ..Default::default()
            })),
        };
        let bytes = event.encode_to_vec();
        assert!(EventView::parse(&bytes).unwrap().session_start);
    }

    #[test]
    fn tensor_without_tag_takes_the_node_name() {
        let value = summary::Value {
            node_name: "node".into(),
            value: Some(summary::value::Value::Tensor(Default::default())),
            ..Default::default()
        };
        let summary = Summary { value: vec![value] }.encode_to_vec();
        let view = summary_values(&summary).next().unwrap().unwrap();
        assert_eq!(view.tag, b"node");
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(EventView::parse(&[0x0a, 0xff]).is_err()); // a length past the end
        assert!(EventView::parse(&[0x0b]).is_err()); // a group
    }
}
