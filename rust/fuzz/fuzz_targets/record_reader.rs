//! Any bytes as an event file: the reader never panics or allocates what the file does not
//! hold, and stops at the first bad record; every record it yields decodes or fails cleanly.
//! Framing what it read gives back the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use turboboard_core::proto::Event;
use turboboard_core::record::{self, ReadError, Reader};

fuzz_target!(|data: &[u8]| {
    let mut reader = Reader::new(data);
    let mut framed = Vec::new();
    loop {
        match reader.next_record() {
            Ok(Some(payload)) => {
                let _ = Event::decode(&payload[..]);
                record::frame_into(&mut framed, &payload);
            }
            Ok(None) => {
                assert_eq!(framed, data, "a clean end must mean every byte was a whole record");
                break;
            }
            Err(ReadError::Truncated { offset } | ReadError::CrcMismatch { offset, .. }) => {
                assert_eq!(offset as usize, framed.len());
                assert_eq!(&data[..framed.len()], &framed[..]);
                break;
            }
            Err(ReadError::Io(e)) => panic!("reading from memory cannot fail: {e}"),
        }
    }
});
