//! Per-element and per-record costs of the core: framing, histograms, PNG.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::ArrayViewD;
use std::hint::black_box;
use turboboard_bench::{noise_u8, normal_f32};
use turboboard_core::encode::{image, png};
use turboboard_core::histogram::{Bins, histogram};
use turboboard_core::record::{self, scalar as scalar_record};
use turboboard_core::summary;

fn framing(c: &mut Criterion) {
    let mut group = c.benchmark_group("framing");
    group.throughput(Throughput::Elements(1));
    let mut out = Vec::with_capacity(1 << 20);
    group.bench_function("scalar event, by hand", |b| {
        b.iter(|| {
            out.clear();
            scalar_record::frame_into(&mut out, black_box("train/metric_1"), 0.5, 1234, 1.7e9);
        })
    });
    let event =
        summary::event(vec![summary::scalar("train/metric_1", 0.5, "", "")], Some(1234), 1.7e9).unwrap();
    group.bench_function("scalar event, prost", |b| {
        b.iter(|| {
            out.clear();
            record::frame_message_into(&mut out, black_box(&event));
        })
    });
    let payload = noise_u8(1 << 20);
    group.throughput(Throughput::Bytes(payload.len() as u64));
    group.bench_function("1 MiB record", |b| {
        b.iter(|| {
            out.clear();
            record::frame_into(&mut out, black_box(&payload));
        })
    });
    group.finish();
}

fn histograms(c: &mut Criterion) {
    let mut group = c.benchmark_group("histogram float32 N(0,1), default bins");
    for n in [1_000, 100_000, 1_000_000, 10_000_000] {
        let values = normal_f32(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &values, |b, values| {
            b.iter(|| histogram(black_box(values), Bins::TensorFlow, None).unwrap())
        });
    }
    group.finish();
}

fn png(c: &mut Criterion) {
    let mut group = c.benchmark_group("png 512x512 RGB");
    let pixels = noise_u8(3 * 512 * 512);
    group.throughput(Throughput::Elements(512 * 512));
    group.bench_function("convert CHW uint8", |b| {
        b.iter(|| image::from_array(image_view(&pixels), "CHW").unwrap())
    });
    let image = image::from_array(image_view(&pixels), "CHW").unwrap();
    group.bench_function("encode noise", |b| b.iter(|| png::encode_png(black_box(&image)).unwrap()));
    group.finish();
}

fn image_view(pixels: &[u8]) -> ArrayViewD<'_, u8> {
    ArrayViewD::from_shape(vec![3, 512, 512], pixels).unwrap()
}

criterion_group!(benches, framing, histograms, png);
criterion_main!(benches);
