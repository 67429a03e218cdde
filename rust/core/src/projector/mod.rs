//! The embedding projector's files for `add_embedding`, laid out as tensorboardX lays them out:
//! `<logdir>/<step:05>/<tag>/` holds `tensors.tsv`, `metadata.tsv` and `sprite.png`, and
//! `<logdir>/projector_config.pbtxt` gets one `embeddings { ... }` block per call, with paths
//! relative to the log directory.

pub mod pyrepr;

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use half::f16;
use ndarray::{ArrayView1, ArrayView2, ArrayView4};
use object_store::PutMode;

use crate::encode::image::{self, Image, Pixel};
use crate::error::{Error, Result};
use crate::parallel::{map_parts, threads_for};
use crate::storage::{Client, LogDir, Remote, with_path};
use pyrepr::PyRepr;

/// The projector's config file in the log directory.
const CONFIG: &str = "projector_config.pbtxt";

/// The largest sprite side TensorBoard's projector loads (a WebGL texture limit); tensorboardX
/// enforces it too.
pub const MAX_SPRITE_SIDE: usize = 8192;

/// Values each thread formats at a time (about 1.3 MB of text for float32): large enough to hide
/// a thread's start, small enough that memory stays bounded whatever the matrix.
const VALUES_PER_THREAD: usize = 1 << 16;

/// Writes `tensors.tsv` to `out`: one line per row of `mat`, its values as Python's
/// `str(x.item())` separated by tabs, as both anchors write them. Blocks of rows are formatted
/// on all cores and written in order.
pub fn write_tensors_tsv<T: PyRepr + Sync>(mat: ArrayView2<'_, T>, out: &mut impl Write) -> io::Result<()> {
    let rows: Vec<ArrayView1<'_, T>> = mat.rows().into_iter().collect();
    let threads = threads_for(mat.len(), VALUES_PER_THREAD);
    let rows_per_thread = (VALUES_PER_THREAD / mat.ncols().max(1)).max(1);
    for block in rows.chunks(rows_per_thread * threads) {
        let parts: Vec<_> = block.chunks(rows_per_thread).collect();
        for text in map_parts(&parts, threads, || (), |(), rows| format_rows(rows)).0 {
            out.write_all(&text)?;
        }
    }
    Ok(())
}

fn format_rows<T: PyRepr>(rows: &[ArrayView1<'_, T>]) -> Vec<u8> {
    // About 20 bytes per float32 value ("-0.12345678901234567\t").
    let mut out = Vec::with_capacity(rows.iter().map(|r| r.len() * 20 + 1).sum());
    for row in rows {
        for (i, &x) in row.iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            x.write_repr(&mut out);
        }
        out.push(b'\n');
    }
    out
}

/// `metadata.tsv`: `fields` in rows of `columns`, each line ending in `\n`.
///
/// A tab, newline or carriage return inside a field would shift the projector's columns or rows
/// (the anchors write them as they are); they are written as the two characters `\t`, `\n` and
/// `\r`, which the projector shows as text. Every other character is kept.
pub fn metadata_tsv<S: AsRef<str>>(fields: &[S], columns: usize) -> Result<Vec<u8>> {
    if columns == 0 || !fields.len().is_multiple_of(columns) {
        return Err(Error::invalid(
            "metadata",
            format!("{} values do not fill rows of {columns} columns", fields.len()),
        ));
    }
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.as_ref().len() + 1).sum());
    for row in fields.chunks(columns) {
        for (i, field) in row.iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            for &b in field.as_ref().as_bytes() {
                match b {
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// A `label_img` element as a sprite byte: the anchors' `uint8(clip(x * 255, 0, 255))` with the
/// product taken in `f64` (their canvas is float64). `u8` images are kept as they are, as
/// `add_image` keeps them (the anchors turn every non-zero byte into 255); other integers and
/// booleans give 0 or 255 as in `add_image`.
pub trait SpriteSample: Pixel {
    fn sprite_converter() -> impl Fn(Self) -> u8 + Copy {
        Self::converter()
    }
}

impl SpriteSample for f64 {}

impl SpriteSample for f32 {
    fn sprite_converter() -> impl Fn(Self) -> u8 + Copy {
        |x: f32| (f64::from(x) * 255.0) as u8
    }
}

impl SpriteSample for f16 {
    fn sprite_converter() -> impl Fn(Self) -> u8 + Copy {
        |x: f16| (f64::from(x.to_f32()) * 255.0) as u8
    }
}

macro_rules! default_sprite_sample {
    ($($t:ty),*) => {$(impl SpriteSample for $t {})*};
}
default_sprite_sample!(u8, i8, i16, i32, i64, u16, u32, u64, bool);

/// The sprite of NCHW `images` (1 or 3 channels, square): `ceil(sqrt(N))` images to a row,
/// row-major, on a square RGB canvas padded with black at the bottom, as tensorboardX tiles it
/// (its padding is uninitialized memory; torch's is black).
pub fn sprite<T: SpriteSample>(images: ArrayView4<'_, T>, count: usize) -> Result<Image> {
    let (n, c, h, w) = images.dim();
    let shape = images.shape();
    let bad = |what: String| Err(Error::invalid("label_img", format!("{what} (NCHW shape {shape:?})")));
    if n != count {
        return bad(format!("expected one image per row of mat ({count}), got {n}"));
    }
    if n == 0 || h == 0 || w == 0 {
        return bad("expected at least one image of at least 1x1 pixel".into());
    }
    if !matches!(c, 1 | 3) {
        return bad(format!("expected 1 (grayscale) or 3 (RGB) channels, got {c}"));
    }
    if h != w {
        return bad(format!("the projector needs square images, got {h}x{w}"));
    }
    let ncols = (1..=n).find(|k| k * k >= n).unwrap_or(n);
    let side = ncols.saturating_mul(w);
    if side > MAX_SPRITE_SIDE {
        return bad(format!(
            "a sprite of {n} images of {w}x{w} pixels is {side} pixels wide; TensorBoard loads at most {MAX_SPRITE_SIDE}"
        ));
    }
    let mut grid = image::make_grid_with(images, n.div_ceil(ncols), ncols, true, T::sprite_converter())?;
    grid.pixels.resize(side * side * 3, 0);
    grid.height = grid.width;
    Ok(grid)
}

/// One embedding: its files and its block of `projector_config.pbtxt`.
pub struct Embedding<'a, T> {
    /// `<tag>:<step:05>`, the name the projector lists.
    pub tensor_name: String,
    /// The folder relative to the log directory, `/`-separated, already made safe.
    pub subdir: String,
    /// The N x D matrix, formatted into `tensors.tsv` as it is written.
    pub mat: ArrayView2<'a, T>,
    pub metadata: Option<Vec<u8>>,
    /// The PNG and the side of one image.
    pub sprite: Option<(Vec<u8>, usize)>,
}

impl<T: PyRepr + Sync> Embedding<'_, T> {
    /// The block tensorboardX appends to `projector_config.pbtxt`, its strings escaped as the
    /// protobuf text format wants (tensorboardX writes them raw, so a `"` breaks its file).
    pub fn config_block(&self) -> String {
        let path = |name: &str| quote(&format!("{}/{name}", self.subdir));
        let mut block = format!(
            "embeddings {{\ntensor_name: {}\ntensor_path: {}\n",
            quote(&self.tensor_name),
            path("tensors.tsv")
        );
        if self.metadata.is_some() {
            block += &format!("metadata_path: {}\n", path("metadata.tsv"));
        }
        if let Some((_, dim)) = &self.sprite {
            block += &format!(
                "sprite {{\nimage_path: {}\nsingle_image_dim: {dim}\nsingle_image_dim: {dim}\n}}\n",
                path("sprite.png")
            );
        }
        block + "}\n"
    }

    /// Writes the files under `logdir`, then appends the config block, so that the config never
    /// names a file that is not complete.
    pub fn write(&self, logdir: &LogDir) -> Result<()> {
        match logdir {
            LogDir::Local(dir) => self.write_local(dir),
            LogDir::Remote(remote) => self.write_remote(remote),
        }
    }

    /// Each file is written whole under a temporary name and renamed into place; the config
    /// block is appended in one write.
    fn write_local(&self, logdir: &Path) -> Result<()> {
        let dir = logdir.join(&self.subdir);
        fs::create_dir_all(&dir).map_err(|e| with_path(e, "creating", &dir))?;
        // Unique per call, so that writers logging the same tag and step at once (threads or
        // processes) never write into one temporary file.
        static CALLS: AtomicU64 = AtomicU64::new(0);
        let call = CALLS.fetch_add(1, Ordering::Relaxed);
        let write_file = |name: &str, contents: &dyn Fn(&mut BufWriter<File>) -> io::Result<()>| {
            let path = dir.join(name);
            let partial = dir.join(format!(".{name}.{}.{call}.partial", std::process::id()));
            let written = File::create(&partial)
                .and_then(|file| {
                    let mut out = BufWriter::new(file);
                    contents(&mut out)?;
                    out.flush()
                })
                .map_err(|e| with_path(e, "writing", &partial))
                .and_then(|()| fs::rename(&partial, &path).map_err(|e| with_path(e, "renaming to", &path)));
            if written.is_err() {
                // Best effort: the error to report is the one above.
                let _ = fs::remove_file(&partial);
            }
            written
        };
        write_file("tensors.tsv", &|out| write_tensors_tsv(self.mat, out))?;
        if let Some(metadata) = &self.metadata {
            write_file("metadata.tsv", &|out| out.write_all(metadata))?;
        }
        if let Some((png, _)) = &self.sprite {
            write_file("sprite.png", &|out| out.write_all(png))?;
        }
        let config = logdir.join(CONFIG);
        // One write in append mode: blocks from several writers never interleave.
        OpenOptions::new()
            .append(true)
            .create(true)
            .open(&config)
            .and_then(|mut f| f.write_all(self.config_block().as_bytes()))
            .map_err(|e| with_path(e, "appending to", &config))?;
        Ok(())
    }

    /// Each file is one put (objects appear whole); the config block is appended by a
    /// conditional read-modify-write, retried when another writer changed the config between.
    fn write_remote(&self, remote: &Remote) -> Result<()> {
        let client = Client::new(remote.clone())?;
        let put = |name: &str, bytes: &[u8]| {
            let path = remote.child(&format!("{}/{name}", self.subdir));
            client.put(&path, bytes, PutMode::Overwrite).map_err(|e| client.error("uploading", &path, &e))
        };
        let mut tensors = Vec::new();
        write_tensors_tsv(self.mat, &mut tensors)?;
        put("tensors.tsv", &tensors)?;
        if let Some(metadata) = &self.metadata {
            put("metadata.tsv", metadata)?;
        }
        if let Some((png, _)) = &self.sprite {
            put("sprite.png", png)?;
        }
        let config = remote.child(CONFIG);
        loop {
            let (mut text, mode) = match client.get(&config) {
                Ok(Some((text, version))) => (text, PutMode::Update(version)),
                Ok(None) => (Vec::new(), PutMode::Create),
                Err(e) => return Err(client.error("reading", &config, &e).into()),
            };
            text.extend_from_slice(self.config_block().as_bytes());
            match client.put(&config, &text, mode) {
                Ok(()) => return Ok(()),
                Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                }
                Err(e) => return Err(client.error("uploading", &config, &e).into()),
            }
        }
    }
}

/// `s` as a protobuf text-format string literal (C escapes; UTF-8 kept as it is).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array4, array};

    fn tensors_tsv<T: PyRepr + Sync>(mat: ArrayView2<'_, T>) -> Vec<u8> {
        let mut out = Vec::new();
        write_tensors_tsv(mat, &mut out).unwrap();
        out
    }

    #[test]
    fn tensors_as_python_writes_them() {
        let mat = array![[1.0f32, 0.1], [-0.0, 1e-5]];
        assert_eq!(tensors_tsv(mat.view()), b"1.0\t0.10000000149011612\n-0.0\t9.999999747378752e-06\n");
        let ints = array![[1i64, -2, 3]];
        assert_eq!(tensors_tsv(ints.view()), b"1\t-2\t3\n");
        // Split into blocks and across threads, the rows keep their order.
        let big = ndarray::Array2::from_shape_fn((5000, 64), |(i, j)| (i * 64 + j) as u32);
        let text = String::from_utf8(tensors_tsv(big.view())).unwrap();
        let values: Vec<u32> =
            text.split(['\t', '\n']).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
        assert_eq!(values, (0..5000 * 64).collect::<Vec<u32>>());
        assert_eq!(text.lines().count(), 5000);
    }

    #[test]
    fn metadata_escapes_separators() {
        let fields = ["name", "split", "a\tb", "x\ny", "ü\r", "plain\\t"];
        assert_eq!(
            metadata_tsv(&fields, 2).unwrap(),
            "name\tsplit\na\\tb\tx\\ny\nü\\r\tplain\\t\n".as_bytes()
        );
        assert_eq!(metadata_tsv(&["a", "b"], 1).unwrap(), b"a\nb\n");
        assert!(matches!(
            metadata_tsv(&["a", "b", "c"], 2),
            Err(Error::InvalidArgument { arg: "metadata", .. })
        ));
    }

    #[test]
    fn sprite_is_a_square_grid() {
        // 5 gray 2x2 images: 3 to a row, 2 rows, padded to 6x6.
        let images = Array4::from_shape_fn((5, 1, 2, 2), |(n, _, _, _)| n as f32 / 10.0);
        let sprite = sprite(images.view(), 5).unwrap();
        assert_eq!((sprite.height, sprite.width, sprite.channels), (6, 6, 3));
        let at = |y: usize, x: usize| sprite.pixels[(y * 6 + x) * 3];
        // 0.3 * 255 = 76.5 in f64 (f32 0.3 widened is slightly above 0.3).
        assert_eq!(
            [at(0, 0), at(0, 2), at(1, 5), at(2, 0), at(3, 3), at(2, 4), at(5, 5)],
            [0, 25, 51, 76, 102, 0, 0]
        );
        // u8 images are used as they are.
        let bytes = Array4::<u8>::from_elem((1, 3, 1, 1), 7);
        assert_eq!(super::sprite(bytes.view(), 1).unwrap().pixels, [7, 7, 7]);
    }

    #[test]
    fn sprite_rejects_what_the_projector_cannot_show() {
        let message = |shape: (usize, usize, usize, usize), count| match sprite(
            Array4::<f32>::zeros(shape).view(),
            count,
        ) {
            Err(Error::InvalidArgument { arg: "label_img", message }) => message,
            other => panic!("{shape:?}: {other:?}"),
        };
        assert!(message((3, 3, 4, 4), 2).contains("one image per row of mat (2), got 3"));
        assert!(message((2, 4, 4, 4), 2).contains("channels"));
        assert!(message((2, 3, 4, 5), 2).contains("square"));
        assert!(message((0, 3, 4, 4), 0).contains("at least one"));
        assert!(message((5, 1, 4096, 4096), 5).contains("8192"));
    }

    #[test]
    fn config_block_escapes_strings() {
        let embedding = Embedding {
            tensor_name: "a\"b\\c\u{1}é:00003".into(),
            subdir: "00003/a\"b%5cc\u{1}é".into(),
            mat: ArrayView2::<f32>::from_shape((0, 0), &[]).unwrap(),
            metadata: Some(vec![]),
            sprite: Some((vec![], 28)),
        };
        assert_eq!(
            embedding.config_block(),
            "embeddings {\ntensor_name: \"a\\\"b\\\\c\\001é:00003\"\n\
             tensor_path: \"00003/a\\\"b%5cc\\001é/tensors.tsv\"\n\
             metadata_path: \"00003/a\\\"b%5cc\\001é/metadata.tsv\"\n\
             sprite {\nimage_path: \"00003/a\\\"b%5cc\\001é/sprite.png\"\n\
             single_image_dim: 28\nsingle_image_dim: 28\n}\n}\n"
        );
    }

    #[test]
    fn writes_files_then_appends_the_config() {
        let logdir = tempfile::tempdir().unwrap();
        let ones = array![[1.0f32]];
        let embedding = |step: &str| Embedding {
            tensor_name: format!("t:{step}"),
            subdir: format!("{step}/t"),
            mat: ones.view(),
            metadata: None,
            sprite: None,
        };
        embedding("00000").write(&LogDir::Local(logdir.path().to_path_buf())).unwrap();
        embedding("00001").write(&LogDir::Local(logdir.path().to_path_buf())).unwrap();
        assert_eq!(fs::read(logdir.path().join("00001/t/tensors.tsv")).unwrap(), b"1.0\n");
        let config = fs::read_to_string(logdir.path().join("projector_config.pbtxt")).unwrap();
        assert_eq!(config.matches("embeddings {").count(), 2);
        assert!(
            fs::read_dir(logdir.path().join("00000/t")).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".partial"))
        );
        // A file where the folder should be is an error, not a panic.
        fs::write(logdir.path().join("00002"), b"").unwrap();
        assert!(matches!(
            embedding("00002").write(&LogDir::Local(logdir.path().to_path_buf())),
            Err(Error::Io(_))
        ));
    }
}
