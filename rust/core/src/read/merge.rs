//! The rows of a read, merged in run, file and chunk order as the chunks come in, under
//! TensorBoard's rules that need the run so far: a restarted writer's purge, and a tensor's
//! plugin named by its tag's first metadata in the run. Every row goes into one set of
//! columns, which grow in place (a large allocation grows by remapping, not copying), so a read
//! holds its output and the chunks in flight, and the table is one record batch.

use std::collections::HashMap;

use super::rows::{Rows, retain};
use super::table::Table;
use super::{FileRows, Kind};
use crate::error::Result;

pub(super) struct Merged {
    kind: Kind,
    purge: bool,
    /// Every row so far, tagged with ids into `tags`.
    rows: Rows,
    /// Each row's run, an index into `runs`.
    run_keys: Vec<i32>,
    runs: Vec<String>,
    tags: Vec<String>,
    tag_ids: HashMap<String, u32>,
    /// For each run, the plugin each tag's first metadata in it names.
    plugins: Vec<HashMap<u32, Vec<u8>>>,
    /// Where the current run's rows start.
    run_start: usize,
    /// The current run's file version so far ("brain.Event:2" is 2).
    version: Option<f64>,
    /// For each row of the current run, whether it waits for its tag's plugin (empty while
    /// none does).
    needs_plugin: Vec<bool>,
    warnings: Vec<String>,
    /// The bytes of the files read, and of the chunks merged so far.
    bytes: u64,
    merged_bytes: u64,
}

impl Merged {
    /// A read of `bytes` of event files.
    pub(super) fn new(kind: Kind, purge: bool, bytes: u64) -> Self {
        Merged {
            kind,
            purge,
            rows: Rows::new(kind),
            run_keys: Vec::new(),
            runs: Vec::new(),
            tags: Vec::new(),
            tag_ids: HashMap::new(),
            plugins: Vec::new(),
            run_start: 0,
            version: None,
            needs_plugin: Vec::new(),
            warnings: Vec::new(),
            bytes,
            merged_bytes: 0,
        }
    }

    /// Makes `run` the current run, ending the one before: what comes next is its.
    pub(super) fn enter(&mut self, run: &str) {
        if self.runs.last().is_some_and(|last| last == run) {
            return;
        }
        self.end_run();
        self.runs.push(run.to_owned());
        self.plugins.push(HashMap::new());
        self.run_start = self.rows.len();
        self.version = None;
    }

    /// Appends the next chunk, of a file of `run`.
    pub(super) fn push(&mut self, run: &str, mut part: FileRows) {
        self.enter(run);
        self.warnings.append(&mut part.warnings);
        let global: Vec<u32> = part.tags.names.iter().map(|name| self.tag_id(name)).collect();
        let plugins = self.plugins.last_mut().expect("entered a run");
        for (&tag, plugin) in global.iter().zip(std::mem::take(&mut part.tags.plugins)) {
            if let Some(plugin) = plugin {
                plugins.entry(tag).or_insert(plugin);
            }
        }
        for tag in &mut part.rows.tag {
            *tag = global[*tag as usize];
        }
        if self.purge {
            self.apply_purges(&mut part);
        }
        self.version = part.version.or(self.version);
        let needs = part.rows.needs_plugin.take();
        if needs.is_some() || !self.needs_plugin.is_empty() {
            let before = self.rows.len() - self.run_start;
            self.needs_plugin.resize(before, false);
            match needs {
                Some(needs) => self.needs_plugin.extend(needs),
                None => self.needs_plugin.resize(before + part.rows.len(), false),
            }
        }
        self.merged_bytes += part.bytes;
        self.make_room(part.rows.len());
        let run = (self.runs.len() - 1) as i32;
        self.run_keys.extend(std::iter::repeat_n(run, part.rows.len()));
        self.rows.append(&mut part.rows);
    }

    /// Room for `more` rows, reserved for all the rows the files seem to hold (as many per
    /// byte as so far): columns that grow by doubling through sizes the allocator keeps on its
    /// heap leave the smaller copies there, freed but still resident.
    fn make_room(&mut self, more: usize) {
        let needed = self.rows.len() + more;
        if needed <= self.run_keys.capacity() {
            return;
        }
        let per_byte = needed as f64 / self.merged_bytes.max(1) as f64;
        let expected = (per_byte * self.bytes as f64 * 1.05) as usize;
        let rows = expected.max(needed) - self.rows.len();
        self.run_keys.reserve(rows);
        self.rows.reserve(rows);
    }

    /// The table, and the warnings for what was skipped.
    pub(super) fn finish(mut self) -> Result<(Table, Vec<String>)> {
        self.end_run();
        // The tensors table names each row's plugin.
        let row_plugins: Vec<Vec<u8>> = match self.kind {
            Kind::Tensors => self
                .rows
                .tag
                .iter()
                .zip(&self.run_keys)
                .map(|(tag, &run)| self.plugins[run as usize].get(tag).cloned().unwrap_or_default())
                .collect(),
            _ => Vec::new(),
        };
        let table = Table::build(self.kind, &self.runs, &self.tags, self.rows, self.run_keys, row_plugins)?;
        Ok((table, self.warnings))
    }

    fn tag_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.tag_ids.get(name) {
            return id;
        }
        self.tags.push(name.to_owned());
        let id = (self.tags.len() - 1) as u32;
        self.tag_ids.insert(name.to_owned(), id);
        id
    }

    /// A `SessionLog.START` at step `s` drops the run's rows before it with a step of `s` or
    /// more, from file version 2 on, as TensorBoard does.
    fn apply_purges(&mut self, part: &mut FileRows) {
        if part.purges.is_empty() {
            return;
        }
        let mut keep = vec![true; part.rows.len()];
        for point in &part.purges {
            if point.version.or(self.version).is_none_or(|v| v < 2.0) {
                continue;
            }
            let earlier: Vec<bool> =
                self.rows.step[self.run_start..].iter().map(|&s| s < point.step).collect();
            self.retain_run(&earlier);
            for (keep, &step) in keep.iter_mut().zip(&part.rows.step[..point.row]) {
                *keep &= step < point.step;
            }
        }
        part.rows.retain(0, &keep);
    }

    /// Drops the current run's rows whose tensors turned out not to be of the kind: their
    /// tag's plugin (its first metadata in the run) is another, or none.
    fn end_run(&mut self) {
        if let Some(wanted) = self.rows.plugin() {
            if self.needs_plugin.contains(&true) {
                let plugins = self.plugins.last();
                let keep: Vec<bool> = self
                    .needs_plugin
                    .iter()
                    .zip(&self.rows.tag[self.run_start..])
                    .map(|(&needs, tag)| {
                        !needs || plugins.and_then(|p| p.get(tag)).is_some_and(|p| p == wanted.as_bytes())
                    })
                    .collect();
                self.retain_run(&keep);
            }
        }
        self.needs_plugin.clear();
    }

    /// Of the current run's rows, keeps those where `keep` is true.
    fn retain_run(&mut self, keep: &[bool]) {
        self.rows.retain(self.run_start, keep);
        retain(&mut self.run_keys, self.run_start, keep);
        if !self.needs_plugin.is_empty() {
            retain(&mut self.needs_plugin, 0, keep);
        }
    }
}
