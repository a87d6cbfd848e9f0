//! The local bar cache: one compact columnar file per symbol and interval.
//!
//! File layout (all little-endian): magic `GTB1`, header length (u32) and a
//! UTF-8 header `symbol\tinterval\tsource`, bar count (u64), then the columns
//! — timestamps (i64 ns), open, high, low, close, volume (f64) — and an
//! FNV-1a 64 checksum of everything before it. Reading is a length check, a
//! checksum and six slice conversions, so it runs at memory speed; a file is
//! written to a temporary name and renamed into place, so a crash never
//! leaves half a file where a reader could find it.

use crate::DataError;
use gt_model::{BarSeries, Symbol, Timestamp};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"GTB1";

/// What the cache holds for one symbol and interval.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheEntry {
    /// Symbol.
    pub symbol: String,
    /// Bar interval, e.g. `1d`, `1m`.
    pub interval: String,
    /// Where the bars came from (`csv`, `yahoo`, `alpaca`).
    pub source: String,
    /// Number of bars.
    pub rows: usize,
    /// First bar's time.
    pub first: Option<Timestamp>,
    /// Last bar's time.
    pub last: Option<Timestamp>,
}

/// A cache rooted at a folder: `ROOT/INTERVAL/SYMBOL.gtb`.
#[derive(Clone, Debug)]
pub struct BarCache {
    root: PathBuf,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

impl BarCache {
    /// A cache in `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The folder the cache lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, symbol: &str, interval: &str) -> PathBuf {
        self.root.join(interval).join(format!("{symbol}.gtb"))
    }

    /// Writes `series` (replacing what was cached for its symbol and interval).
    pub fn store(&self, series: &BarSeries, interval: &str, source: &str) -> Result<(), DataError> {
        let path = self.path(series.symbol().as_str(), interval);
        let io = |source| DataError::Io { file: path.clone(), source };
        let header = format!("{}\t{interval}\t{source}", series.symbol());
        let mut bytes = Vec::with_capacity(16 + header.len() + series.len() * 48 + 8);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&(series.len() as u64).to_le_bytes());
        bytes.extend(series.timestamps().iter().flat_map(|ts| ts.nanos().to_le_bytes()));
        for column in 0..5 {
            for i in 0..series.len() {
                let bar = series.bar(i);
                let value = [bar.open, bar.high, bar.low, bar.close, bar.volume][column];
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        bytes.extend_from_slice(&fnv1a(&bytes).to_le_bytes());
        std::fs::create_dir_all(path.parent().unwrap_or(&self.root)).map_err(io)?;
        let temporary = path.with_extension(format!("gtb.{}.tmp", std::process::id()));
        std::fs::write(&temporary, &bytes).map_err(io)?;
        std::fs::rename(&temporary, &path).map_err(io)
    }

    /// The cached bars of `symbol` at `interval`, `None` if there are none.
    pub fn load(&self, symbol: &str, interval: &str) -> Result<Option<(BarSeries, CacheEntry)>, DataError> {
        let path = self.path(symbol, interval);
        match std::fs::read(&path) {
            Ok(bytes) => decode(&bytes, &path).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(DataError::Io { file: path, source }),
        }
    }

    /// Everything cached, sorted by interval and symbol.
    pub fn entries(&self) -> Result<Vec<CacheEntry>, DataError> {
        let mut entries = Vec::new();
        let Ok(intervals) = std::fs::read_dir(&self.root) else { return Ok(entries) };
        for interval in intervals.flatten().filter(|e| e.path().is_dir()) {
            let files = std::fs::read_dir(interval.path())
                .map_err(|source| DataError::Io { file: interval.path(), source })?;
            for file in files.flatten().filter(|f| f.path().extension().is_some_and(|e| e == "gtb")) {
                let bytes = std::fs::read(file.path())
                    .map_err(|source| DataError::Io { file: file.path(), source })?;
                entries.push(decode(&bytes, &file.path())?.1);
            }
        }
        entries.sort_by(|a, b| (&a.interval, &a.symbol).cmp(&(&b.interval, &b.symbol)));
        Ok(entries)
    }
}

/// Reads a cache file, checking its layout and checksum.
fn decode(bytes: &[u8], path: &Path) -> Result<(BarSeries, CacheEntry), DataError> {
    let corrupt = |why: &str| DataError::CorruptCache { file: path.to_path_buf(), reason: why.to_owned() };
    if bytes.len() < 24 || &bytes[..4] != MAGIC {
        return Err(corrupt("not a GPT-Trader bar file"));
    }
    let (body, checksum) = bytes.split_at(bytes.len() - 8);
    if fnv1a(body).to_le_bytes() != checksum {
        return Err(corrupt("checksum mismatch (the file was damaged)"));
    }
    let header_len = u32::from_le_bytes(body[4..8].try_into().map_err(|_| corrupt("short header"))?) as usize;
    let header = std::str::from_utf8(body.get(8..8 + header_len).ok_or_else(|| corrupt("short header"))?)
        .map_err(|_| corrupt("header is not UTF-8"))?;
    let mut fields = header.split('\t');
    let (symbol, interval, source) = match (fields.next(), fields.next(), fields.next()) {
        (Some(s), Some(i), Some(o)) => (s, i, o),
        _ => return Err(corrupt("header lacks symbol, interval or source")),
    };
    let at = 8 + header_len;
    let count = u64::from_le_bytes(
        body.get(at..at + 8)
            .ok_or_else(|| corrupt("no bar count"))?
            .try_into()
            .map_err(|_| corrupt("no bar count"))?,
    ) as usize;
    let columns = body.get(at + 8..).ok_or_else(|| corrupt("no columns"))?;
    if columns.len() != count.checked_mul(48).ok_or_else(|| corrupt("bar count overflows"))? {
        return Err(corrupt("column lengths do not match the bar count"));
    }
    let column = |k: usize| columns[k * count * 8..(k + 1) * count * 8].chunks_exact(8);
    let word = |chunk: &[u8]| -> [u8; 8] { chunk.try_into().unwrap_or([0; 8]) };
    let timestamps: Vec<Timestamp> =
        column(0).map(|c| Timestamp::from_nanos(i64::from_le_bytes(word(c)))).collect();
    let value = |k: usize| -> Vec<f64> { column(k).map(|c| f64::from_le_bytes(word(c))).collect() };
    let entry = CacheEntry {
        symbol: symbol.to_owned(),
        interval: interval.to_owned(),
        source: source.to_owned(),
        rows: count,
        first: timestamps.first().copied(),
        last: timestamps.last().copied(),
    };
    let series = BarSeries::from_columns(
        Symbol::new(symbol),
        timestamps,
        value(1),
        value(2),
        value(3),
        value(4),
        value(5),
    )
    .ok_or_else(|| corrupt("columns of different lengths"))?;
    Ok((series, entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::random_walk;

    #[test]
    fn bars_come_back_exactly_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BarCache::new(dir.path());
        let series = random_walk(Symbol::new("XYZ"), 5_000, 3);
        cache.store(&series, "1m", "csv").unwrap();
        let (loaded, entry) = cache.load("XYZ", "1m").unwrap().unwrap();
        assert_eq!(loaded.len(), 5_000);
        for i in [0, 1, 2_500, 4_999] {
            assert_eq!(loaded.bar(i), series.bar(i));
        }
        assert_eq!((entry.rows, entry.source.as_str(), entry.interval.as_str()), (5_000, "csv", "1m"));
        assert_eq!(cache.entries().unwrap(), vec![entry]);
        assert!(cache.load("ABC", "1m").unwrap().is_none());
    }

    #[test]
    fn damaged_files_are_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BarCache::new(dir.path());
        cache.store(&random_walk(Symbol::new("XYZ"), 100, 3), "1d", "csv").unwrap();
        let path = dir.path().join("1d/XYZ.gtb");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[100] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let error = cache.load("XYZ", "1d").unwrap_err().to_string();
        assert!(error.contains("checksum mismatch"), "{error}");
        std::fs::write(&path, &bytes[..50]).unwrap();
        assert!(cache.load("XYZ", "1d").is_err());
    }
}
