//! The `.npz` fixtures the parity tests read (written by `scripts/gen_fixtures.py` with NumPy
//! and `scripts/gen_findiff_fixtures.py` with findiff; the key schemas are in their docstrings).

use std::fs::File;
use std::path::PathBuf;

use ndarray::ArrayD;
use ndarray_npy::{NpzReader, ReadableElement};

/// One fixture file: its arrays by key, each case a group of keys `<case>__<field>`.
pub struct Fixture {
    name: String,
    npz: NpzReader<File>,
    keys: Vec<String>,
}

impl Fixture {
    /// Opens `tests/fixtures/<name>`.
    pub fn open(name: &str) -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let mut npz =
            NpzReader::new(File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).expect("valid npz");
        let keys = npz.names().expect("npz names");
        Fixture {
            name: name.to_owned(),
            npz,
            keys,
        }
    }

    /// The case names (those with a `<case>__<marker>` key), sorted.
    pub fn cases(&self, marker: &str) -> Vec<String> {
        let suffix = format!("__{marker}");
        let mut cases: Vec<String> = self
            .keys
            .iter()
            .filter_map(|k| k.strip_suffix(&suffix).map(str::to_owned))
            .collect();
        cases.sort();
        cases
    }

    pub fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    pub fn read<T: ReadableElement>(&mut self, key: &str) -> ArrayD<T> {
        self.npz
            .by_name(key)
            .unwrap_or_else(|e| panic!("{}: {key}: {e}", self.name))
    }

    pub fn int(&mut self, key: &str) -> i64 {
        self.read::<i64>(key).into_iter().next().expect("a 0-d value")
    }

    pub fn float(&mut self, key: &str) -> f64 {
        self.read::<f64>(key).into_iter().next().expect("a 0-d value")
    }
}

/// A deterministic array of `shape` (xorshift from `seed`), values in about `[-40, 62]`: test
/// data that is the same on every run (for the tests of the `zarr` and `sparse` features).
#[cfg(any(feature = "zarr", feature = "sparse"))]
pub fn xorshift_field(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let mut s = seed | 1;
    ArrayD::from_shape_simple_fn(ndarray::IxDyn(shape), || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 100_000) as f64 / 977.0 - 40.0
    })
}
