//! Media encoders: pixels to PNG and GIF, samples to WAV, and the drawing and resampling that
//! `add_image_with_boxes` does first. Each is pure: arrays in, bytes out, no I/O.

pub mod draw;
pub mod gif;
pub mod image;
pub mod png;
pub mod resample;
pub mod wav;
