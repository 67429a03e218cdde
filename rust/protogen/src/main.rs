//! Regenerates the prost code in `rust/core/src/proto/` from the `.proto` files in
//! `rust/core/proto/`, with protox (a protobuf compiler in Rust) instead of `protoc`.
//!
//! Run from the repository root: `cargo run --manifest-path rust/protogen/Cargo.toml`. CI runs it
//! and fails if the checked-in code differs.

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core");
    // Every .proto in the folder, in a fixed order so the output does not depend on the file system.
    let mut protos: Vec<_> = std::fs::read_dir(root.join("proto"))?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    protos.retain(|name| Path::new(name).extension().is_some_and(|ext| ext == "proto"));
    protos.sort();
    let descriptors = protox::compile(&protos, [root.join("proto")])?;
    prost_build::Config::new()
        .out_dir(root.join("src/proto"))
        // Node attributes in key order, so the same graph always encodes to the same bytes.
        .btree_map([".tensorboard.NodeDef.attr"])
        .compile_fds(descriptors)?;
    Ok(())
}
