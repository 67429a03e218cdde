//! Inputs shared by the benchmarks in `benches/` (run them with
//! `cargo bench --manifest-path rust/bench/Cargo.toml`).

/// `n` deterministic standard-normal values (xorshift and Box-Muller), as float32.
pub fn normal_f32(n: usize) -> Vec<f32> {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u, v) = (uniform().max(f64::MIN_POSITIVE), uniform());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect()
}

/// `n` deterministic pseudo-random bytes (incompressible pixels).
pub fn noise_u8(n: usize) -> Vec<u8> {
    normal_f32(n).iter().map(|x| x.to_bits() as u8).collect()
}
