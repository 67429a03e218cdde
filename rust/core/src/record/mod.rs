//! TFRecord framing: how every event is stored in an event file.
//!
//! A record is `u64 LE length`, `u32 LE masked CRC32C of those 8 bytes`, the payload, and
//! `u32 LE masked CRC32C of the payload`. The CRC is Castagnoli (CRC-32C), not zlib's CRC-32.

pub mod scalar;

/// Bytes a record adds around its payload.
pub const OVERHEAD: usize = 8 + 4 + 4;

const MASK_DELTA: u32 = 0xA282_EAD8;

/// TensorFlow's masked CRC32C: a CRC of data that itself holds CRCs stays well distributed.
pub fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Appends one framed record holding `payload` to `out`.
pub fn frame_into(out: &mut Vec<u8>, payload: &[u8]) {
    out.reserve(payload.len() + OVERHEAD);
    let len = (payload.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&masked_crc(payload).to_le_bytes());
}

/// Appends one framed record whose payload `write` appends in place (no buffer of its own):
/// the header is filled in once the payload's length is known.
pub fn frame_with<T>(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    let start = out.len();
    out.extend_from_slice(&[0; 12]);
    let result = write(out);
    let len = ((out.len() - start - 12) as u64).to_le_bytes();
    out[start..start + 8].copy_from_slice(&len);
    out[start + 8..start + 12].copy_from_slice(&masked_crc(&len).to_le_bytes());
    let crc = masked_crc(&out[start + 12..]);
    out.extend_from_slice(&crc.to_le_bytes());
    result
}

/// Appends one framed record whose payload is the encoding of `message`.
pub fn frame_message_into(out: &mut Vec<u8>, message: &impl prost::Message) {
    out.reserve(message.encoded_len() + OVERHEAD);
    frame_with(out, |out| message.encode_raw(out));
}

/// Why a buffer stopped yielding records.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The buffer ends inside a record: what a crash or a writer still writing leaves behind at
    /// the end of a file. Readers stop there without error.
    #[error("truncated record at byte {offset}")]
    Truncated {
        offset: u64,
        /// The whole record's size, when its header was read.
        needed: Option<u64>,
    },
    /// A record whose length or payload does not match its CRC: the file is corrupt.
    #[error("CRC mismatch in the record {part} at byte {offset}")]
    CrcMismatch { offset: u64, part: &'static str },
}

/// The records of an event file held in memory, borrowed one by one: the CRC of each length
/// is checked always (a wrong length would misread everything after it), the payload's when
/// `check_payload` (the readers' `check_crc`).
pub struct Records<'a> {
    data: &'a [u8],
    /// Where `data` starts in its file, so that errors give file offsets.
    base: u64,
    pos: usize,
    check_payload: bool,
}

impl<'a> Records<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Records::at(data, 0, true)
    }

    /// The records of `data`, which starts at byte `base` of its file.
    pub fn at(data: &'a [u8], base: u64, check_payload: bool) -> Self {
        Records { data, base, pos: 0, check_payload }
    }

    /// Bytes of `data` read as whole records so far.
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// The next payload, `Ok(None)` at a clean end of the buffer. After an error the position
    /// stays at the failed record, except after a payload CRC mismatch: that record is skipped,
    /// so a caller may go on (its length was checked, so what follows is framed correctly).
    pub fn next_record(&mut self) -> Result<Option<&'a [u8]>, ReadError> {
        let rest = &self.data[self.pos..];
        let offset = self.base + self.pos as u64;
        if rest.is_empty() {
            return Ok(None);
        }
        if rest.len() < 12 {
            return Err(ReadError::Truncated { offset, needed: None });
        }
        let (len_bytes, len_crc) = (&rest[..8], &rest[8..12]);
        if masked_crc(len_bytes).to_le_bytes() != len_crc {
            return Err(ReadError::CrcMismatch { offset, part: "length" });
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let total = len.saturating_add(OVERHEAD as u64);
        if total > rest.len() as u64 {
            return Err(ReadError::Truncated { offset, needed: Some(total) });
        }
        let total = total as usize;
        let payload = &rest[12..total - 4];
        self.pos += total;
        if self.check_payload && masked_crc(payload).to_le_bytes() != rest[total - 4..total] {
            return Err(ReadError::CrcMismatch { offset, part: "payload" });
        }
        Ok(Some(payload))
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<&'a [u8], ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.next_record().transpose();
        if matches!(
            next,
            Some(Err(ReadError::Truncated { .. } | ReadError::CrcMismatch { part: "length", .. }))
        ) {
            self.pos = self.data.len(); // nothing after it can be framed: end the iteration
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_test_vector() {
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn masked_crc_test_vector() {
        // From TensorBoard's data server (masked_crc.rs).
        assert_eq!(masked_crc(b"\x1a\x11CRC test, one two"), 0x5794_D08A);
    }

    #[test]
    fn frame_layout() {
        let mut out = Vec::new();
        frame_into(&mut out, b"abc");
        assert_eq!(out.len(), 3 + OVERHEAD);
        assert_eq!(&out[..8], &3u64.to_le_bytes());
        assert_eq!(&out[8..12], &masked_crc(&3u64.to_le_bytes()).to_le_bytes());
        assert_eq!(&out[12..15], b"abc");
        assert_eq!(&out[15..], &masked_crc(b"abc").to_le_bytes());
    }

    #[test]
    fn frame_message_matches_frame_of_encoding() {
        let event = crate::proto::Event {
            wall_time: 1.5,
            step: 7,
            what: Some(crate::proto::event::What::FileVersion("brain.Event:2".into())),
            source_metadata: None,
        };
        let mut direct = Vec::new();
        frame_message_into(&mut direct, &event);
        let mut via = Vec::new();
        frame_into(&mut via, &prost::Message::encode_to_vec(&event));
        assert_eq!(direct, via);
    }

    fn two_records() -> Vec<u8> {
        let mut out = Vec::new();
        frame_into(&mut out, b"first");
        frame_into(&mut out, b"second record");
        out
    }

    #[test]
    fn reader_round_trip() {
        let data = two_records();
        let records: Vec<_> = Records::new(&data).collect::<Result<_, _>>().unwrap();
        assert_eq!(records, vec![&b"first"[..], &b"second record"[..]]);
    }

    #[test]
    fn reader_reports_every_truncation_as_truncated() {
        let data = two_records();
        let first_len = 5 + OVERHEAD;
        for cut in first_len + 1..data.len() {
            let mut reader = Records::new(&data[..cut]);
            assert_eq!(reader.next_record().unwrap().unwrap(), b"first");
            match reader.next_record() {
                Err(ReadError::Truncated { offset, needed }) => {
                    assert_eq!(offset, first_len as u64);
                    assert_eq!(needed, (cut >= first_len + 12).then_some((data.len() - first_len) as u64));
                }
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn reader_reports_corruption() {
        let mut data = two_records();
        data[3] ^= 1;
        assert!(matches!(
            Records::new(&data).next_record(),
            Err(ReadError::CrcMismatch { offset: 0, part: "length" })
        ));
        let mut data = two_records();
        data[13] ^= 1;
        let mut records = Records::new(&data);
        assert!(matches!(records.next_record(), Err(ReadError::CrcMismatch { offset: 0, part: "payload" })));
        // The damaged record is skipped; the next one is whole.
        assert_eq!(records.next_record().unwrap().unwrap(), b"second record");
        assert!(Records::at(&data, 0, false).next_record().unwrap().is_some());
    }

    #[test]
    fn reader_does_not_trust_a_huge_length() {
        let mut data = Vec::new();
        let len = u64::MAX.to_le_bytes();
        data.extend_from_slice(&len);
        data.extend_from_slice(&masked_crc(&len).to_le_bytes());
        data.extend_from_slice(b"tiny");
        assert!(matches!(Records::new(&data).next_record(), Err(ReadError::Truncated { .. })));
    }
}
