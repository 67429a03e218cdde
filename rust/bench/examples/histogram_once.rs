//! One default-bins histogram of N(0,1) float32 values on one thread, for instruction and cache
//! counts that a shared, noisy machine cannot blur:
//!
//!     cargo build --release -p turboboard-bench --example histogram_once
//!     valgrind --tool=cachegrind --cache-sim=yes target/release/examples/histogram_once 100000

use std::hint::black_box;
use turboboard_bench::normal_f32;
use turboboard_core::histogram::{Bins, histogram};

fn main() {
    let n = std::env::args().nth(1).map_or(100_000, |n| n.parse().expect("a count of values"));
    let values = normal_f32(n);
    let h = histogram(black_box(&values), Bins::TensorFlow, None).expect("a histogram");
    println!("{} buckets, sum {}", h.bucket.len(), h.sum);
}
