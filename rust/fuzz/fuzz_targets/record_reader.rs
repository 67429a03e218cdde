//! Any bytes as an event file: the record reader never panics or reads past what the buffer
//! holds, and stops at the first bad frame; every record it yields decodes or fails cleanly.
//! Framing what it read gives back the same bytes. The run reader (`read::decode_records`)
//! reads the same bytes into every kind of table without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use turboboard_core::proto::Event;
use turboboard_core::read;
use turboboard_core::record::{self, ReadError, Records};

fuzz_target!(|data: &[u8]| {
    let mut records = Records::new(data);
    let mut framed = Vec::new();
    loop {
        match records.next_record() {
            Ok(Some(payload)) => {
                let _ = Event::decode(payload);
                record::frame_into(&mut framed, payload);
            }
            Ok(None) => {
                assert_eq!(framed, data, "a clean end must mean every byte was a whole record");
                break;
            }
            Err(ReadError::Truncated { offset, .. } | ReadError::CrcMismatch { offset, .. }) => {
                assert_eq!(offset as usize, framed.len());
                assert_eq!(&data[..framed.len()], &framed[..]);
                break;
            }
        }
    }
    for kind in read::Kind::ALL {
        let _ = read::decode_records(data, kind);
    }
});
