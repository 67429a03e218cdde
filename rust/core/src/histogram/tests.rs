use super::*;

fn tf(values: &[f64]) -> Result<Histogram> {
    histogram(values, Bins::TensorFlow, None)
}

/// `n` pseudo-random 64-bit patterns (xorshift).
fn random_bits(n: usize) -> impl Iterator<Item = u64> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    std::iter::repeat_with(move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    })
    .take(n)
}

#[test]
fn float32_slots_match_binary_search() {
    let tf = &*TENSORFLOW;
    let sorted = Sorted { slot_edges: &tf.slot_edges };
    let mut probes: Vec<f32> =
        (0..1u32 << 16).flat_map(|cell| [cell << 16, cell << 16 | 0xffff]).map(f32::from_bits).collect();
    for &e in tensorflow_edges() {
        let above = round_up_to_f32(e);
        probes.extend([
            above,
            f32::from_bits(above.to_bits().wrapping_sub(1)),
            f32::from_bits(above.to_bits() + 1),
        ]);
    }
    probes.extend([0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::MIN_POSITIVE, f32::MAX, f32::MIN]);
    probes.extend(random_bits(500_000).map(|bits| f32::from_bits(bits as u32)));
    let outside = [0, tf.slot_edges.len() - 2];
    let mut counts = vec![0; DEFAULT_COUNTS];
    for x in probes {
        counts.fill(0);
        f32::count_default_bins(&[x], &mut counts);
        let slot = counts.iter().position(|&c| c == 1).expect("one slot counted");
        if x.is_nan() {
            assert!(outside.contains(&slot), "{x}");
        } else {
            assert_eq!(slot, sorted.slot(f64::from(x)), "{x:e} ({:#x})", x.to_bits());
        }
    }
}

/// Each type's own kernels (the float32 table and vectorised reduction, the float16 table)
/// give what binning the values widened to f64 gives.
#[test]
fn every_type_bins_as_its_widened_values() {
    fn check<T: Element>(values: &[T]) {
        let widened: Vec<f64> = values.iter().map(|v| v.to_f64()).collect();
        let (ours, wide) = (tf_any(values), tf_any(&widened));
        assert_eq!((&ours.bucket_limit, &ours.bucket), (&wide.bucket_limit, &wide.bucket));
        assert_eq!(ours.sum.to_bits(), wide.sum.to_bits());
        assert_eq!((ours.min.to_bits(), ours.max.to_bits()), (wide.min.to_bits(), wide.max.to_bits()));
        let (a, b) = (ours.sum_squares, wide.sum_squares);
        assert!(a == b || (a - b).abs() <= 1e-12 * b || (a.is_nan() && b.is_nan()), "{a} vs {b}");
    }
    fn tf_any<T: Element>(values: &[T]) -> Histogram {
        histogram(values, Bins::TensorFlow, None).unwrap()
    }
    let bits: Vec<u64> = random_bits(40_000).collect();
    // Every length up to a few leaves, so that the octets' remainders and numpy's short sums
    // are all exercised, then many values in threads.
    for len in (1..300).chain([40_000]) {
        let normal: Vec<f32> =
            bits[..len].iter().map(|&b| ((b >> 40) as f32 / (1 << 24) as f32 - 0.5) * 8.0).collect();
        check(&normal);
        check(&normal.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>());
        check(&normal.iter().map(|&x| (x * 1e3) as i64).collect::<Vec<_>>());
        let wild: Vec<f32> =
            bits[..len].iter().map(|&b| f32::from_bits(b as u32)).filter(|x| x.is_finite()).collect();
        if wild.iter().any(|x| x.abs() < 1e20) {
            check(&wild);
        }
    }
    let mut special = vec![1.5f32, -0.0, 0.0, f32::INFINITY, f32::NEG_INFINITY, -2.5, 1e-30, 3.0];
    check(&special);
    special.extend([f32::NAN, 7.0, -7.0]);
    check(&special);
    check(&special.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>());
}

/// The vectorised kernels and the portable loops they stand in for agree on every leaf
/// length (the test above compares float64 with itself, and reaches the portable loops only
/// through other types on a machine with AVX).
#[test]
fn float_kernels_match_the_portable_loops() {
    fn same(fast: Leaf, portable: Leaf, len: usize) {
        assert_eq!(fast.sum.to_bits(), portable.sum.to_bits(), "{len} values");
        assert_eq!((fast.min, fast.max), (portable.min, portable.max), "{len} values");
        assert_eq!(fast.sum_squares.to_bits(), portable.sum_squares.to_bits(), "{len} values");
    }
    let bits: Vec<u64> = random_bits(LEAF).collect();
    let mut values: Vec<f64> =
        bits.iter().map(|&b| ((b >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e4).collect();
    values[5] = -0.0;
    values[77] = f64::INFINITY;
    let narrow: Vec<f32> = values.iter().map(|&x| x as f32).collect();
    for len in 1..=LEAF {
        same(f64::reduce(&values[..len]), reduce_leaf(&values[..len]), len);
        same(f32::reduce(&narrow[..len]), reduce_leaf(&narrow[..len]), len);
        let (mut fast, mut portable) = (vec![0; DEFAULT_COUNTS], vec![0; DEFAULT_COUNTS]);
        let leaf = f32::bin_default_leaf(&narrow[..len], &mut fast);
        f32::count_default_bins(&narrow[..len], &mut portable);
        same(leaf, reduce_leaf(&narrow[..len]), len);
        assert_eq!(fast, portable, "{len} values");
    }
}

#[test]
fn default_edges_follow_the_recipe() {
    let edges = tensorflow_edges();
    assert_eq!(edges.len(), 1549);
    assert_eq!(edges[774], 0.0);
    assert_eq!(edges[775], 1e-12);
    assert_eq!(edges[773], -1e-12);
    assert_eq!(edges[1548], 9.920775621859783e19);
    assert_eq!(edges[0], -9.920775621859783e19);
    assert!(edges.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn every_cell_spans_its_slot_and_the_next_at_most() {
    let tf = &*TENSORFLOW;
    let sorted = Sorted { slot_edges: &tf.slot_edges };
    let outside = [0, tf.slot_edges.len() - 2];
    for cell in 0..1u64 << 16 {
        let lower = usize::from(tf.lower[cell as usize]);
        for x in [cell << 48, cell << 48 | ((1 << 48) - 1)].map(f64::from_bits) {
            if x.is_nan() {
                // NaN stays in the cell's slot, which must not be a bin.
                assert!(outside.contains(&lower), "cell {cell:#x}");
            } else {
                assert!((lower..=lower + 1).contains(&sorted.slot(x)), "cell {cell:#x}");
            }
        }
    }
}

#[test]
fn guessed_slots_match_binary_search() {
    let tf = &*TENSORFLOW;
    let sorted = Sorted { slot_edges: &tf.slot_edges };
    let guessed = Guessed { lower: &tf.lower, upper_edge: &tf.upper_edge };
    let mut probes = vec![0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN];
    probes.extend([f64::MIN_POSITIVE, f64::MAX, f64::MIN, f64::from_bits(1)]);
    for &e in tensorflow_edges() {
        probes.extend([e, e.next_up(), e.next_down()]);
    }
    probes.extend(random_bits(200_000).map(f64::from_bits));
    let outside = [0, tf.slot_edges.len() - 2];
    for x in probes {
        if x.is_nan() {
            assert!(outside.contains(&guessed.slot(x)));
        } else {
            assert_eq!(guessed.slot(x), sorted.slot(x), "{x:e}");
        }
    }
}

#[test]
fn observed_edge_cases() {
    let one = tf(&[1.0]).unwrap();
    assert_eq!(one.bucket_limit, [0.917246389039776, 1.0089710279437536]);
    assert_eq!(one.bucket, [0.0, 1.0]);
    assert_eq!((one.min, one.max, one.num, one.sum, one.sum_squares), (1.0, 1.0, 1.0, 1.0, 1.0));
    for zeroish in [0.0, 1e-13] {
        let h = tf(&[zeroish]).unwrap();
        assert_eq!(h.bucket_limit, [0.0, 1e-12]);
        assert_eq!(h.bucket, [0.0, 1.0]);
    }

    let err = tf(&[]).unwrap_err().to_string();
    assert!(err.contains("no element"), "{err}");
    for nothing_inside in [f64::NAN, 1e21, f64::INFINITY, -1e21] {
        let err = tf(&[nothing_inside]).unwrap_err().to_string();
        assert!(err.contains("histogram is empty"), "{err}");
    }

    let h = tf(&[f64::NAN, 1.0]).unwrap();
    assert_eq!((h.bucket_limit, h.bucket), (one.bucket_limit.clone(), one.bucket.clone()));
    assert!(h.min.is_nan() && h.max.is_nan() && h.sum.is_nan() && h.sum_squares.is_nan());
    assert_eq!(h.num, 2.0);

    let h = tf(&[f64::INFINITY, 1.0]).unwrap();
    assert_eq!((h.bucket_limit, h.bucket), (one.bucket_limit.clone(), one.bucket.clone()));
    assert_eq!((h.min, h.max, h.sum, h.num), (1.0, f64::INFINITY, f64::INFINITY, 2.0));

    let h = tf(&[-1e21, 1.0]).unwrap();
    assert_eq!((h.bucket_limit, h.bucket), (one.bucket_limit.clone(), one.bucket.clone()));
    assert_eq!((h.min, h.max, h.num), (-1e21, 1.0, 2.0));

    assert_eq!(tf(&[0.5, 1.0, 2.0, -3.0]).unwrap().bucket.len(), 603);
}

#[test]
fn explicit_edges() {
    let edges = [1.0, 1.0 + 2.0 / 3.0, 1.0 + 4.0 / 3.0, 3.0];
    let h = histogram(&[1.0, 2.0, 3.0], Bins::Edges(&edges), None).unwrap();
    assert_eq!(h.bucket_limit, edges);
    assert_eq!(h.bucket, [0.0, 1.0, 1.0, 1.0]);
    let h = histogram(&[1u8, 2, 3], Bins::Edges(&edges), None).unwrap();
    assert_eq!(h.bucket, [0.0, 1.0, 1.0, 1.0]);

    // Uneven edges, duplicates and infinite ends follow numpy's rules too.
    let edges = [f64::NEG_INFINITY, -1.0, 0.0, 0.0, 5.0, f64::INFINITY];
    let values = [f64::NEG_INFINITY, -1.0, -0.5, 0.0, 0.0, 7.0, f64::INFINITY, f64::NAN];
    let h = histogram(&values, Bins::Edges(&edges), None).unwrap();
    assert_eq!(h.bucket_limit, edges);
    assert_eq!(h.bucket, [0.0, 1.0, 2.0, 0.0, 2.0, 2.0]);

    for bad in [&[1.0][..], &[2.0, 1.0], &[0.0, f64::NAN]] {
        let err = histogram(&[1.0], Bins::Edges(bad), None).unwrap_err().to_string();
        assert!(err.starts_with("bins:"), "{err}");
    }
    // A single bin with nothing in it is not an error in tensorboardX.
    let h = histogram(&[5.0], Bins::Edges(&[0.0, 1.0]), None).unwrap();
    assert_eq!((h.bucket_limit, h.bucket), (vec![1.0], vec![0.0]));
}

#[test]
fn max_bins_folds_into_groups() {
    let values: Vec<f64> = (-50..50).map(|i| f64::from(i) * 1e3).collect();
    let h = histogram(&values, Bins::TensorFlow, Some(10)).unwrap();
    assert!(h.bucket.len() <= 11);
    let total: f64 = h.bucket.iter().sum();
    assert_eq!(total, 100.0);
    // 1548 bins in groups of 154: 11 groups, the first occupied, so 12 buckets after trimming.
    let spread = [-9e19, 9e19];
    let h = histogram(&spread, Bins::TensorFlow, Some(10)).unwrap();
    assert_eq!(h.bucket.len(), 12);
    assert_eq!((h.bucket[0], h.bucket[1], h.bucket[11]), (0.0, 1.0, 1.0));
    assert_eq!(h.bucket_limit[11], 9.920775621859783e19);
    assert!(histogram(&spread, Bins::TensorFlow, Some(0)).is_err());
}

#[test]
fn leaf_sum_follows_numpys_order() {
    // 1e16 + 1 + 1 is 1e16 added left to right, but 1e16 + 2 with the 1s paired first.
    let mut xs = [0.0; 16];
    xs[0] = 1e16;
    xs[1] = 1.0;
    xs[9] = 1.0;
    assert_eq!(reduce_leaf(&xs).sum, 1e16 + 2.0);
    assert_eq!(reduce_leaf(&[1e16, 1.0, 1.0]).sum, 1e16);
    assert_eq!(tf(&[-0.0; 20]).unwrap().sum.to_bits(), 0.0f64.to_bits());
}

#[test]
fn zero_extremes_take_the_sign_of_the_last_zero() {
    let mut values = vec![0.0; 300];
    values[7] = -0.0;
    let h = tf(&values).unwrap();
    assert!(h.min.is_sign_positive() && h.max.is_sign_positive());
    values[299] = -0.0;
    let h = tf(&values).unwrap();
    assert!(h.min.is_sign_negative() && h.max.is_sign_negative());
}

#[test]
fn threads_do_not_change_the_result() {
    let mut state = 1u64;
    let values: Vec<f32> = (0..300_001)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32 * 1e3
        })
        .collect();
    let one = scan(&values, &DefaultBins, DEFAULT_COUNTS, 1);
    for threads in [2, 3, 5, 8] {
        let many = scan(&values, &DefaultBins, DEFAULT_COUNTS, threads);
        assert_eq!(many.counts, one.counts);
        assert_eq!(many.sum.to_bits(), one.sum.to_bits());
        assert_eq!((many.min, many.max), (one.min, one.max));
        assert!((many.sum_squares - one.sum_squares).abs() <= 1e-12 * one.sum_squares);
    }
}
