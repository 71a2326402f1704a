//! The gradient of a `.npy` file into memory-mapped `.npy` files: nothing is read into or
//! allocated in the process's heap; the kernel pages the input in and the outputs out.
//!
//! ```text
//! cargo run --release --example npy_mmap_gradient -- IN.npy OUT_PREFIX [--axis K]... [--edge-order 2] [--spacing H]
//! ```
//!
//! IN.npy holds a float64 array (little-endian, C or Fortran order, as `np.save` writes it);
//! the result for axis `k` is written to `OUT_PREFIX_axis{k}.npy`, which `np.load` (or
//! `np.load(..., mmap_mode="r")`) reads. The values are those of `np.gradient`, bit for bit.
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use memmap2::{Mmap, MmapMut};
use ndarray::{ArrayViewD, ArrayViewMutD, Axis, IxDyn};
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};
use ndarray_npy::{ViewMutNpyExt, ViewNpyExt, write_zeroed_npy};

/// Writes the gradient of the `.npy` file `input` along `axes` (all axes if empty) to
/// `{prefix}_axis{k}.npy`, through memory maps, and returns the paths written.
pub fn gradient_npy(
    input: &Path,
    prefix: &str,
    opts: &GradientOptions<'_, f64>,
    axes: &[usize],
) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let file = File::open(input)?;
    // SAFETY: the file is only read, and must not be changed by others while mapped.
    let map = unsafe { Mmap::map(&file)? };
    let f = ArrayViewD::<f64>::view_npy(&map)?;
    let axes: Vec<usize> = if axes.is_empty() {
        (0..f.ndim()).collect()
    } else {
        axes.to_vec()
    };
    let opts = opts.clone().axes(axes.iter().map(|&k| Axis(k)));
    // One zero-filled file of the input's shape per output, mapped for writing.
    let mut paths = Vec::new();
    let mut maps = Vec::new();
    for k in &axes {
        let path = PathBuf::from(format!("{prefix}_axis{k}.npy"));
        let out = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        write_zeroed_npy::<f64, _>(&out, IxDyn(f.shape()))?;
        // SAFETY: the file was just created by this process and nobody else writes it.
        maps.push(unsafe { MmapMut::map_mut(&out)? });
        paths.push(path);
    }
    {
        let mut views: Vec<ArrayViewMutD<'_, f64>> = maps
            .iter_mut()
            .map(|m| ArrayViewMutD::<f64>::view_mut_npy(m))
            .collect::<Result<_, _>>()?;
        let mut outs: Vec<&mut ndarray::ArrayRef<f64, IxDyn>> = views.iter_mut().map(|v| &mut **v).collect();
        f.gradient_into(&opts, &mut outs)?;
    }
    for m in &maps {
        m.flush()?;
    }
    Ok(paths)
}

/// The options, the axes and the positional arguments from the command line.
#[allow(clippy::type_complexity)]
pub fn options_from(args: &[String]) -> Result<(GradientOptions<'static, f64>, Vec<usize>, Vec<String>), String> {
    let mut opts = GradientOptions::new();
    let mut axes = Vec::new();
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--axis" => axes.push(value("--axis")?.parse::<usize>().map_err(|e| e.to_string())?),
            "--edge-order" => match value("--edge-order")?.as_str() {
                "1" => {}
                "2" => opts = opts.edge_order(EdgeOrder::Second),
                e => return Err(format!("--edge-order must be 1 or 2, not {e}")),
            },
            "--spacing" => opts = opts.spacing(value("--spacing")?.parse::<f64>().map_err(|e| e.to_string())?),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => positional.push(arg.clone()),
        }
    }
    Ok((opts, axes, positional))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (opts, axes, positional) = options_from(&args)?;
    let [input, prefix] = <[String; 2]>::try_from(positional)
        .map_err(|_| "usage: npy_mmap_gradient IN.npy OUT_PREFIX [--axis K]... [--edge-order 2] [--spacing H]")?;
    for path in gradient_npy(Path::new(&input), &prefix, &opts, &axes)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
