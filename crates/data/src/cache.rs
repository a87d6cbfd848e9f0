//! The local bar cache: one compact columnar file per symbol and interval.
//!
//! File layout (all little-endian): magic `GTB2`, header length (u32) and a
//! UTF-8 header `symbol\tinterval\tsource`, bar count (u64), then the columns
//! — timestamps (i64 ns), open, high, low, close, volume (f64) — and a
//! CRC-32 of everything before it (as a u64). Reading is a length check, a
//! checksum and six slice conversions, so it runs at memory speed; a file is
//! written to a temporary name and renamed into place, so a crash never
//! leaves half a file where a reader could find it. Files of the first
//! layout (`GTB1`, checked by a byte-wise FNV-1a 64, which cost 60 ms on a
//! million bars) are still read; every write is of the current one.

use crate::DataError;
use gt_model::{BarSeries, Symbol, Timestamp};
use std::path::{Path, PathBuf};

/// The current layout's magic: CRC-32 checksum.
const MAGIC: &[u8; 4] = b"GTB2";
/// The first layout's magic: FNV-1a 64 checksum (read, never written).
const MAGIC_V1: &[u8; 4] = b"GTB1";

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

/// The checksum of the current layout.
fn crc32(bytes: &[u8]) -> u64 {
    u64::from(crc32fast::hash(bytes))
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
        bytes.extend_from_slice(&crc32(&bytes).to_le_bytes());
        std::fs::create_dir_all(path.parent().unwrap_or(&self.root)).map_err(io)?;
        let temporary = path.with_extension(format!("gtb.{}.tmp", std::process::id()));
        std::fs::write(&temporary, &bytes).map_err(io)?;
        std::fs::rename(&temporary, &path).map_err(io)
    }

    /// The cached bars of `symbol` at `interval`, `None` if there are none.
    pub fn load(&self, symbol: &str, interval: &str) -> Result<Option<(BarSeries, CacheEntry)>, DataError> {
        let path = self.path(symbol, interval);
        match std::fs::File::open(&path) {
            Ok(file) => decode(file, &path).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(DataError::Io { file: path, source }),
        }
    }

    /// Everything cached, sorted by interval and symbol; a file that cannot
    /// be read is listed with its source saying `DAMAGED: why`.
    pub fn entries(&self) -> Result<Vec<CacheEntry>, DataError> {
        let mut entries = Vec::new();
        let Ok(intervals) = std::fs::read_dir(&self.root) else { return Ok(entries) };
        for interval in intervals.flatten().filter(|e| e.path().is_dir()) {
            let files = std::fs::read_dir(interval.path())
                .map_err(|source| DataError::Io { file: interval.path(), source })?;
            for file in files.flatten().filter(|f| f.path().extension().is_some_and(|e| e == "gtb")) {
                let path = file.path();
                let decoded = std::fs::File::open(&path)
                    .map_err(|source| DataError::Io { file: path.clone(), source })
                    .and_then(|opened| decode(opened, &path));
                entries.push(match decoded {
                    Ok((_, entry)) => entry,
                    // One damaged file does not hide the others: it is listed as damaged.
                    Err(error) => CacheEntry {
                        symbol: path
                            .file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        interval: interval.file_name().to_string_lossy().into_owned(),
                        source: format!("DAMAGED: {error}"),
                        rows: 0,
                        first: None,
                        last: None,
                    },
                });
            }
        }
        entries.sort_by(|a, b| (&a.interval, &a.symbol).cmp(&(&b.interval, &b.symbol)));
        Ok(entries)
    }
}

/// A running checksum of either layout.
enum Checksum {
    /// The current layout's.
    Crc(crc32fast::Hasher),
    /// The first layout's (FNV-1a 64).
    Fnv(u64),
}

impl Checksum {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Crc(hasher) => hasher.update(bytes),
            Self::Fnv(hash) => {
                *hash = bytes
                    .iter()
                    .fold(*hash, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3));
            }
        }
    }

    fn finish(self) -> u64 {
        match self {
            Self::Crc(hasher) => u64::from(hasher.finalize()),
            Self::Fnv(hash) => hash,
        }
    }
}

/// Bytes decoded per read: the file is streamed into the columns through a
/// buffer this large, never held whole.
const CHUNK: usize = 1 << 16;

/// Fills `column` with `count` words, read through `buffer` by `next`
/// (which checks and feeds the checksum), each converted by `word`.
fn read_column<T>(
    next: &mut impl FnMut(&mut [u8]) -> Result<(), DataError>,
    buffer: &mut [u8],
    count: usize,
    column: &mut Vec<T>,
    word: fn([u8; 8]) -> T,
) -> Result<(), DataError> {
    let mut left = count * 8;
    while left > 0 {
        let chunk = &mut buffer[..left.min(CHUNK)];
        next(chunk)?;
        column.extend(chunk.chunks_exact(8).map(|bytes| word(bytes.try_into().unwrap_or([0; 8]))));
        left -= chunk.len();
    }
    Ok(())
}

/// Reads a cache file from `file`, checking its layout and checksum.
fn decode(file: std::fs::File, path: &Path) -> Result<(BarSeries, CacheEntry), DataError> {
    use std::io::Read;
    let corrupt = |why: &str| DataError::CorruptCache { file: path.to_path_buf(), reason: why.to_owned() };
    let file_len =
        file.metadata().map_err(|source| DataError::Io { file: path.to_path_buf(), source })?.len();
    let mut reader = std::io::BufReader::with_capacity(CHUNK, file);
    let mut read = |buffer: &mut [u8], what: &str| -> Result<(), DataError> {
        reader.read_exact(buffer).map_err(|error| match error.kind() {
            std::io::ErrorKind::UnexpectedEof => corrupt(what),
            _ => DataError::Io { file: path.to_path_buf(), source: error },
        })
    };
    let mut start = [0u8; 8];
    read(&mut start, "not a GPT-Trader bar file")?;
    let mut checksum = match &start[..4] {
        magic if magic == MAGIC => Checksum::Crc(crc32fast::Hasher::new()),
        magic if magic == MAGIC_V1 => Checksum::Fnv(0xcbf2_9ce4_8422_2325),
        _ => return Err(corrupt("not a GPT-Trader bar file")),
    };
    checksum.update(&start);
    let header_len = u32::from_le_bytes([start[4], start[5], start[6], start[7]]) as usize;
    if header_len > 4096 {
        return Err(corrupt("short header"));
    }
    let mut header = vec![0u8; header_len + 8];
    read(&mut header, "short header")?;
    checksum.update(&header);
    let count_bytes: [u8; 8] = header[header_len..].try_into().map_err(|_| corrupt("no bar count"))?;
    let count = u64::from_le_bytes(count_bytes) as usize;
    let header = std::str::from_utf8(&header[..header_len]).map_err(|_| corrupt("header is not UTF-8"))?;
    let mut fields = header.split('\t');
    let (symbol, interval, source) = match (fields.next(), fields.next(), fields.next()) {
        (Some(s), Some(i), Some(o)) => (s, i, o),
        _ => return Err(corrupt("header lacks symbol, interval or source")),
    };
    // The file's length must match the bar count before anything is allocated for it.
    let expected = count
        .checked_mul(48)
        .and_then(|columns| columns.checked_add(16 + header_len + 8))
        .ok_or_else(|| corrupt("bar count overflows"))?;
    if file_len != expected as u64 {
        return Err(corrupt("column lengths do not match the bar count"));
    }
    let mut buffer = vec![0u8; CHUNK];
    let mut timestamps: Vec<Timestamp> = Vec::with_capacity(count);
    let mut columns: [Vec<f64>; 5] = std::array::from_fn(|_| Vec::with_capacity(count));
    {
        let mut next = |chunk: &mut [u8]| -> Result<(), DataError> {
            read(chunk, "column lengths do not match the bar count")?;
            checksum.update(chunk);
            Ok(())
        };
        read_column(&mut next, &mut buffer, count, &mut timestamps, |w| {
            Timestamp::from_nanos(i64::from_le_bytes(w))
        })?;
        for column in &mut columns {
            read_column(&mut next, &mut buffer, count, column, f64::from_le_bytes)?;
        }
    }
    let mut trailer = [0u8; 8];
    read(&mut trailer, "no checksum")?;
    if checksum.finish().to_le_bytes() != trailer {
        return Err(corrupt("checksum mismatch (the file was damaged)"));
    }
    let entry = CacheEntry {
        symbol: symbol.to_owned(),
        interval: interval.to_owned(),
        source: source.to_owned(),
        rows: count,
        first: timestamps.first().copied(),
        last: timestamps.last().copied(),
    };
    let [open, high, low, close, volume] = columns;
    let series = BarSeries::from_columns(Symbol::new(symbol), timestamps, open, high, low, close, volume)
        .ok_or_else(|| corrupt("columns of different lengths"))?;
    Ok((series, entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::random_walk;

    /// The checksum of the first layout.
    fn fnv1a(bytes: &[u8]) -> u64 {
        let mut checksum = Checksum::Fnv(0xcbf2_9ce4_8422_2325);
        checksum.update(bytes);
        checksum.finish()
    }

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
        // The damaged file is listed as such, beside the good ones.
        cache.store(&random_walk(Symbol::new("GOOD"), 10, 3), "1d", "csv").unwrap();
        let entries = cache.entries().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!((entries[0].symbol.as_str(), entries[0].rows), ("GOOD", 10));
        assert!(entries[1].symbol == "XYZ" && entries[1].source.starts_with("DAMAGED: "), "{entries:?}");
        std::fs::write(&path, &bytes[..50]).unwrap();
        assert!(cache.load("XYZ", "1d").is_err());
    }

    #[test]
    fn files_of_the_first_layout_are_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BarCache::new(dir.path());
        let series = random_walk(Symbol::new("OLD"), 300, 5);
        cache.store(&series, "1d", "csv").unwrap();
        let path = dir.path().join("1d/OLD.gtb");
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..4], MAGIC);
        // The same bars as the first layout wrote them: its magic, its checksum.
        let mut old = bytes[..bytes.len() - 8].to_vec();
        old[..4].copy_from_slice(MAGIC_V1);
        old.extend_from_slice(&fnv1a(&old).to_le_bytes());
        std::fs::write(&path, &old).unwrap();
        let (loaded, _) = cache.load("OLD", "1d").unwrap().unwrap();
        assert_eq!(loaded.bar(299), series.bar(299));
        // A first-layout file is checked by its own checksum.
        let last = old.len() - 1;
        old[last] ^= 1;
        std::fs::write(&path, &old).unwrap();
        assert!(cache.load("OLD", "1d").unwrap_err().to_string().contains("checksum mismatch"));
    }
}
