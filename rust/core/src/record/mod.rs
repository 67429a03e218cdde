//! TFRecord framing: how every event is stored in an event file.
//!
//! A record is `u64 LE length`, `u32 LE masked CRC32C of those 8 bytes`, the payload, and
//! `u32 LE masked CRC32C of the payload`. The CRC is Castagnoli (CRC-32C), not zlib's CRC-32.

use std::io::{self, Read};

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

/// Why a file stopped yielding records.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file ends inside a record: what a crash or a writer still writing leaves behind.
    /// Readers stop here without error.
    #[error("truncated record at byte {offset}")]
    Truncated { offset: u64 },
    /// A record whose length or payload does not match its CRC: the file is corrupt.
    #[error("CRC mismatch in the record {part} at byte {offset}")]
    CrcMismatch { offset: u64, part: &'static str },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Reads the records of an event file one by one, checking both CRCs of each.
pub struct Reader<R> {
    inner: R,
    offset: u64,
}

impl<R: Read> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader { inner, offset: 0 }
    }

    /// The next payload, `Ok(None)` at a clean end of file.
    pub fn next_record(&mut self) -> Result<Option<Vec<u8>>, ReadError> {
        let offset = self.offset;
        let mut header = [0u8; 12];
        match read_full(&mut self.inner, &mut header)? {
            0 => return Ok(None),
            12 => {}
            _ => return Err(ReadError::Truncated { offset }),
        }
        let (len_bytes, len_crc) = header.split_at(8);
        if masked_crc(len_bytes).to_le_bytes() != len_crc {
            return Err(ReadError::CrcMismatch { offset, part: "length" });
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let mut payload = Vec::new();
        // `take` bounds the allocation by what the file really holds, whatever the length says.
        let got = (&mut self.inner).take(len).read_to_end(&mut payload)?;
        let mut crc = [0u8; 4];
        if (got as u64) < len || read_full(&mut self.inner, &mut crc)? < 4 {
            return Err(ReadError::Truncated { offset });
        }
        if masked_crc(&payload).to_le_bytes() != crc {
            return Err(ReadError::CrcMismatch { offset, part: "payload" });
        }
        self.offset += (payload.len() + OVERHEAD) as u64;
        Ok(Some(payload))
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Vec<u8>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
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
        let records: Vec<_> = Reader::new(&two_records()[..]).collect::<Result<_, _>>().unwrap();
        assert_eq!(records, vec![b"first".to_vec(), b"second record".to_vec()]);
    }

    #[test]
    fn reader_reports_every_truncation_as_truncated() {
        let data = two_records();
        let first_len = 5 + OVERHEAD;
        for cut in first_len + 1..data.len() {
            let mut reader = Reader::new(&data[..cut]);
            assert_eq!(reader.next_record().unwrap().unwrap(), b"first");
            match reader.next_record() {
                Err(ReadError::Truncated { offset }) => assert_eq!(offset, first_len as u64),
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn reader_reports_corruption() {
        let mut data = two_records();
        data[3] ^= 1;
        assert!(matches!(
            Reader::new(&data[..]).next_record(),
            Err(ReadError::CrcMismatch { offset: 0, part: "length" })
        ));
        let mut data = two_records();
        data[13] ^= 1;
        assert!(matches!(
            Reader::new(&data[..]).next_record(),
            Err(ReadError::CrcMismatch { offset: 0, part: "payload" })
        ));
    }

    #[test]
    fn reader_does_not_trust_a_huge_length() {
        let mut data = Vec::new();
        let len = u64::MAX.to_le_bytes();
        data.extend_from_slice(&len);
        data.extend_from_slice(&masked_crc(&len).to_le_bytes());
        data.extend_from_slice(b"tiny");
        assert!(matches!(Reader::new(&data[..]).next_record(), Err(ReadError::Truncated { .. })));
    }
}
