//! Picture output shared by the examples, with no dependencies: an RGB image with a few
//! drawing helpers (lines, discs, a 3×5 pixel font, titles, colour bars), two perceptual colour
//! maps (viridis and inferno, as polynomial fits), and a PNG writer. The PNG is uncompressed
//! ("stored" deflate blocks) with its CRC-32 and Adler-32 sums computed here, so any image
//! viewer opens it.
//!
//! Not every example uses every helper.
#![allow(dead_code)]

use std::fs;
use std::io;
use std::path::PathBuf;

use ndarray::ArrayView2;

/// One 8-bit RGB pixel.
pub type Rgb = [u8; 3];

pub const WHITE: Rgb = [255, 255, 255];
pub const BLACK: Rgb = [0, 0, 0];
pub const RED: Rgb = [230, 40, 40];
pub const BACKGROUND: Rgb = [24, 24, 28];

/// The directory the examples write to, `target/examples-out/`, created if needed.
pub fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("examples-out");
    fs::create_dir_all(&dir).expect("cannot create target/examples-out");
    dir
}

/// An RGB image, row 0 at the top.
#[derive(Clone, Debug)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<Rgb>,
}

impl Image {
    pub fn new(width: usize, height: usize, fill: Rgb) -> Self {
        Image {
            width,
            height,
            pixels: vec![fill; width * height],
        }
    }

    /// An image whose pixel `(x, y)` (column, row from the top) is `f(x, y)`.
    pub fn from_fn(width: usize, height: usize, mut f: impl FnMut(usize, usize) -> Rgb) -> Self {
        let pixels = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        Image { width, height, pixels }
    }

    /// A heat map of a 2-D field: element `[i, j]` becomes pixel `(j, i)`, `lo..hi` spans the
    /// colour map, values outside are clamped, NaN is grey.
    pub fn heatmap(field: ArrayView2<f64>, lo: f64, hi: f64, cmap: fn(f64) -> Rgb) -> Self {
        let (h, w) = field.dim();
        Image::from_fn(w, h, |x, y| colour(field[[y, x]], lo, hi, cmap))
    }

    /// The image flipped top to bottom (for fields whose axis 0 points up, like `y`).
    pub fn flipped(&self) -> Self {
        Image::from_fn(self.width, self.height, |x, y| self.get(x, self.height - 1 - y))
    }

    /// The image enlarged `k` times, each pixel a `k × k` block.
    pub fn scaled(&self, k: usize) -> Self {
        Image::from_fn(self.width * k, self.height * k, |x, y| self.get(x / k, y / k))
    }

    pub fn get(&self, x: usize, y: usize) -> Rgb {
        self.pixels[y * self.width + x]
    }

    /// Sets a pixel; coordinates outside the image are ignored, so shapes may be clipped.
    pub fn put(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            self.pixels[y as usize * self.width + x as usize] = c;
        }
    }

    /// A straight line between two pixel positions (Bresenham).
    pub fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: Rgb) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = ((x1 - x0).signum(), (y1 - y0).signum());
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.put(x, y, c);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// A filled disc of radius `r` pixels.
    pub fn disc(&mut self, (cx, cy): (i64, i64), r: i64, c: Rgb) {
        for y in -r..=r {
            for x in -r..=r {
                if x * x + y * y <= r * r {
                    self.put(cx + x, cy + y, c);
                }
            }
        }
    }

    /// Text in the built-in 3×5 font (upper case, digits, `.-+=:/()%,<>` and space), each font
    /// pixel drawn as a `scale × scale` block, top-left corner at `(x, y)`.
    pub fn text(&mut self, x: i64, y: i64, s: &str, scale: i64, c: Rgb) {
        for (k, ch) in s.chars().enumerate() {
            let x0 = x + k as i64 * 4 * scale;
            for (row, bits) in glyph(ch).iter().enumerate() {
                for col in 0..3 {
                    if bits & (0b100 >> col) != 0 {
                        for (dy, dx) in (0..scale).flat_map(|dy| (0..scale).map(move |dx| (dy, dx))) {
                            self.put(x0 + col * scale + dx, y + row as i64 * scale + dy, c);
                        }
                    }
                }
            }
        }
    }

    /// The image with a title bar above it.
    pub fn titled(&self, title: &str) -> Self {
        let bar = 22;
        let mut out = Image::new(self.width, self.height + bar, BACKGROUND);
        out.blit(self, 0, bar);
        out.text(4, 6, title, 2, WHITE);
        out
    }

    /// The image with a colour bar below it, labelled with the values at its two ends.
    pub fn with_colorbar(&self, lo: f64, hi: f64, cmap: fn(f64) -> Rgb) -> Self {
        let mut out = Image::new(self.width, self.height + 34, BACKGROUND);
        out.blit(self, 0, 0);
        for x in 0..self.width {
            let c = cmap(x as f64 / (self.width - 1).max(1) as f64);
            for y in self.height + 4..self.height + 16 {
                out.put(x as i64, y as i64, c);
            }
        }
        let (lo, hi) = (number(lo), number(hi));
        let y = self.height as i64 + 21;
        out.text(2, y, &lo, 2, WHITE);
        out.text(self.width as i64 - 2 - 8 * hi.len() as i64 + 2, y, &hi, 2, WHITE);
        out
    }

    /// Panels side by side, top-aligned, on a dark background with a margin.
    pub fn hstack(panels: &[Image]) -> Self {
        let gap = 10;
        let width = panels.iter().map(|p| p.width + gap).sum::<usize>() + gap;
        let height = panels.iter().map(|p| p.height).max().unwrap_or(0) + 2 * gap;
        let mut out = Image::new(width, height, BACKGROUND);
        let mut x = gap;
        for p in panels {
            out.blit(p, x, gap);
            x += p.width + gap;
        }
        out
    }

    /// Copies `src` into this image with its top-left corner at `(x, y)`.
    pub fn blit(&mut self, src: &Image, x: usize, y: usize) {
        for sy in 0..src.height {
            for sx in 0..src.width {
                self.put((x + sx) as i64, (y + sy) as i64, src.get(sx, sy));
            }
        }
    }

    /// Writes the image as `target/examples-out/<name>` and returns the path.
    pub fn save_png(&self, name: &str) -> io::Result<PathBuf> {
        let path = out_dir().join(name);
        fs::write(&path, self.to_png())?;
        Ok(path)
    }

    /// The PNG file: 8-bit RGB, no interlacing, every row with filter 0, stored (uncompressed)
    /// deflate blocks.
    pub fn to_png(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(self.height * (1 + 3 * self.width));
        for row in self.pixels.chunks(self.width) {
            raw.push(0); // filter type: none
            raw.extend(row.iter().flatten());
        }
        // zlib stream: header, stored blocks of at most 65535 bytes, Adler-32 of the raw data.
        let mut zlib = vec![0x78, 0x01];
        let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
        for (k, block) in blocks.iter().enumerate() {
            let len = block.len() as u16;
            zlib.push(u8::from(k + 1 == blocks.len())); // BFINAL bit, BTYPE = 00 (stored)
            zlib.extend(len.to_le_bytes());
            zlib.extend((!len).to_le_bytes());
            zlib.extend_from_slice(block);
        }
        zlib.extend(adler32(&raw).to_be_bytes());

        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend((self.width as u32).to_be_bytes());
        ihdr.extend((self.height as u32).to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]); // bit depth 8, colour type RGB, deflate, filter 0, no interlace

        let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        for (kind, data) in [(b"IHDR", &ihdr[..]), (b"IDAT", &zlib[..]), (b"IEND", &[][..])] {
            png.extend((data.len() as u32).to_be_bytes());
            let start = png.len();
            png.extend_from_slice(kind);
            png.extend_from_slice(data);
            let crc = crc32(&png[start..]);
            png.extend(crc.to_be_bytes());
        }
        png
    }
}

/// CRC-32 (IEEE, reflected, polynomial 0xEDB88320) as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Adler-32, the zlib checksum.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in bytes.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// `v` mapped through `cmap` with `lo..hi` as the colour map's range; NaN is grey.
pub fn colour(v: f64, lo: f64, hi: f64, cmap: fn(f64) -> Rgb) -> Rgb {
    if v.is_nan() {
        [128, 128, 128]
    } else {
        cmap(((v - lo) / (hi - lo)).clamp(0.0, 1.0))
    }
}

/// A short label for a number: 3 significant digits, scientific when very large or small.
pub fn number(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(0.01..10000.0).contains(&a) {
        format!("{v:.2e}")
    } else {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.into() }
    }
}

fn polynomial(c: &[[f64; 3]; 7], t: f64) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let mut rgb = [0.0; 3];
    for k in 0..3 {
        rgb[k] = c.iter().rev().fold(0.0, |acc, ck| acc * t + ck[k]);
    }
    rgb.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
}

/// Matplotlib's viridis, as a degree-6 polynomial fit (Matt Zucker's), `t` in `0..=1`.
pub fn viridis(t: f64) -> Rgb {
    polynomial(
        &[
            [
                0.277_727_327_223_417_7,
                0.005_407_344_544_966_578,
                0.334_099_805_335_306_1,
            ],
            [0.105_093_043_108_577_4, 1.404_613_529_898_575, 1.384_590_162_594_685],
            [
                -0.330_861_828_725_556_3,
                0.214_847_559_468_213,
                0.095_095_163_028_236_59,
            ],
            [-4.634_230_498_983_486, -5.799_100_973_351_585, -19.332_440_956_279_87],
            [6.228_269_936_347_081, 14.179_933_366_805_09, 56.690_552_600_681_05],
            [4.776_384_997_670_288, -13.745_145_377_746_01, -65.353_032_633_372_34],
            [-5.435_455_855_934_631, 4.645_852_612_178_535, 26.312_435_249_583_2],
        ],
        t,
    )
}

/// Matplotlib's inferno, as a degree-6 polynomial fit (Matt Zucker's), `t` in `0..=1`.
pub fn inferno(t: f64) -> Rgb {
    polynomial(
        &[
            [
                0.000_218_940_369_119_226_5,
                0.001_651_004_631_001_012,
                -0.019_480_898_437_091_84,
            ],
            [0.106_513_419_485_611_6, 0.563_956_436_788_409_1, 3.932_712_388_889_277],
            [11.602_493_082_471_87, -3.972_853_965_665_698, -15.942_394_106_291_4],
            [-41.703_996_131_394_59, 17.436_398_882_053_13, 44.354_145_198_728_13],
            [77.162_935_699_427, -33.402_358_942_100_92, -81.807_309_257_389_93],
            [-71.319_428_244_992_14, 32.626_064_263_977_23, 73.209_519_858_032_02],
            [25.131_126_224_773_41, -12.242_668_952_385_67, -23.070_325_002_871_72],
        ],
        t,
    )
}

/// Grey levels, black at 0 and white at 1.
pub fn gray(t: f64) -> Rgb {
    let v = (t.clamp(0.0, 1.0) * 255.0).round() as u8;
    [v, v, v]
}

/// A colour from hue (turns, any real), saturation and value (both `0..=1`).
pub fn hsv(h: f64, s: f64, v: f64) -> Rgb {
    let h6 = h.rem_euclid(1.0) * 6.0;
    let f = h6 - h6.floor();
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    let (r, g, b) = match h6 as u32 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    [r, g, b].map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8)
}

/// The 3×5 font: five rows of three bits, most significant bit on the left.
fn glyph(c: char) -> [u8; 5] {
    match c.to_ascii_uppercase() {
        'A' => [0b010, 0b101, 0b111, 0b101, 0b101],
        'B' => [0b110, 0b101, 0b110, 0b101, 0b110],
        'C' => [0b011, 0b100, 0b100, 0b100, 0b011],
        'D' => [0b110, 0b101, 0b101, 0b101, 0b110],
        'E' => [0b111, 0b100, 0b110, 0b100, 0b111],
        'F' => [0b111, 0b100, 0b110, 0b100, 0b100],
        'G' => [0b011, 0b100, 0b101, 0b101, 0b011],
        'H' => [0b101, 0b101, 0b111, 0b101, 0b101],
        'I' => [0b111, 0b010, 0b010, 0b010, 0b111],
        'J' => [0b001, 0b001, 0b001, 0b101, 0b010],
        'K' => [0b101, 0b101, 0b110, 0b101, 0b101],
        'L' => [0b100, 0b100, 0b100, 0b100, 0b111],
        'M' => [0b101, 0b111, 0b111, 0b101, 0b101],
        'N' => [0b110, 0b101, 0b101, 0b101, 0b101],
        'O' => [0b010, 0b101, 0b101, 0b101, 0b010],
        'P' => [0b110, 0b101, 0b110, 0b100, 0b100],
        'Q' => [0b010, 0b101, 0b101, 0b110, 0b011],
        'R' => [0b110, 0b101, 0b110, 0b101, 0b101],
        'S' => [0b011, 0b100, 0b010, 0b001, 0b110],
        'T' => [0b111, 0b010, 0b010, 0b010, 0b010],
        'U' => [0b101, 0b101, 0b101, 0b101, 0b111],
        'V' => [0b101, 0b101, 0b101, 0b101, 0b010],
        'W' => [0b101, 0b101, 0b111, 0b111, 0b101],
        'X' => [0b101, 0b101, 0b010, 0b101, 0b101],
        'Y' => [0b101, 0b101, 0b010, 0b010, 0b010],
        'Z' => [0b111, 0b001, 0b010, 0b100, 0b111],
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b110, 0b001, 0b010, 0b100, 0b111],
        '3' => [0b110, 0b001, 0b010, 0b001, 0b110],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b110, 0b001, 0b110],
        '6' => [0b011, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b110],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        ',' => [0b000, 0b000, 0b000, 0b010, 0b100],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        '+' => [0b000, 0b010, 0b111, 0b010, 0b000],
        '=' => [0b000, 0b111, 0b000, 0b111, 0b000],
        ':' => [0b000, 0b010, 0b000, 0b010, 0b000],
        '/' => [0b001, 0b001, 0b010, 0b100, 0b100],
        '(' => [0b001, 0b010, 0b010, 0b010, 0b001],
        ')' => [0b100, 0b010, 0b010, 0b010, 0b100],
        '%' => [0b101, 0b001, 0b010, 0b100, 0b101],
        '<' => [0b001, 0b010, 0b100, 0b010, 0b001],
        '>' => [0b100, 0b010, 0b001, 0b010, 0b100],
        _ => [0; 5],
    }
}
