//! Regenerates the prost code in `rust/core/src/proto/` from the `.proto` files in
//! `rust/core/proto/`, with protox (a protobuf compiler in Rust) instead of `protoc`.
//!
//! Run from the repository root: `cargo run -p turboboard-protogen`. CI runs it and fails if the
//! checked-in code differs.

use std::path::Path;

const PROTOS: &[&str] = &["event.proto", "summary.proto", "tensor.proto", "plugin_text.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core");
    let descriptors = protox::compile(PROTOS, [root.join("proto")])?;
    prost_build::Config::new().out_dir(root.join("src/proto")).compile_fds(descriptors)?;
    Ok(())
}
