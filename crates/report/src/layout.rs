//! A flowing page layout: a cursor moves down the page and a new page starts when the next
//! block does not fit. Tables repeat their header on each page; cells too wide are shortened
//! with an ellipsis. Charts are drawn as vector shapes. Page numbers are added once the page
//! count is known.

use crate::pdf::{Fonts, Op, Rgb};

pub const INK: Rgb = (33, 37, 41);
pub const MUTED: Rgb = (95, 104, 112);
pub const RULE: Rgb = (206, 212, 218);
pub const ACCENT: Rgb = (31, 94, 140);
pub const WARN: Rgb = (160, 82, 0);
pub const PALETTE: [Rgb; 6] = [
    (31, 94, 140),
    (80, 150, 120),
    (200, 140, 40),
    (150, 90, 160),
    (190, 80, 70),
    (90, 120, 140),
];

pub const MARGIN: f32 = 48.0;
const FOOTER: f32 = 36.0;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Column<'a> {
    pub title: &'a str,
    /// Share of the usable width.
    pub share: f32,
    pub align: Align,
}

pub struct Layout<'f> {
    pub fonts: &'f Fonts,
    pub width: f32,
    pub height: f32,
    pub pages: Vec<Vec<Op>>,
    pub y: f32,
}

impl<'f> Layout<'f> {
    pub fn new(fonts: &'f Fonts, (width, height): (f32, f32)) -> Self {
        Layout {
            fonts,
            width,
            height,
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    pub fn usable(&self) -> f32 {
        self.width - 2.0 * MARGIN
    }

    fn push(&mut self, op: Op) {
        if let Some(p) = self.pages.last_mut() {
            p.push(op);
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` more points fit on this one.
    pub fn ensure(&mut self, height: f32) {
        if self.y + height > self.height - MARGIN - FOOTER {
            self.new_page();
        }
    }

    pub fn gap(&mut self, h: f32) {
        self.y += h;
    }

    pub fn text_at(&mut self, x: f32, y: f32, size: f32, bold: bool, color: Rgb, text: &str) {
        self.push(Op::Text {
            x,
            y,
            size,
            bold,
            color,
            text: text.to_string(),
        });
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.push(Op::Rect { x, y, w, h, color });
    }

    pub fn line(&mut self, points: Vec<(f32, f32)>, width: f32, color: Rgb) {
        self.push(Op::Line {
            points,
            width,
            color,
        });
    }

    /// One line of text at the cursor, which then moves below it.
    pub fn line_of_text(&mut self, size: f32, bold: bool, color: Rgb, text: &str) {
        self.ensure(size * 1.5);
        self.y += size;
        let t = self.fonts.fit(text, size, bold, self.usable());
        self.text_at(MARGIN, self.y, size, bold, color, &t);
        self.y += size * 0.5;
    }

    /// Text wrapped at word boundaries to the usable width.
    pub fn paragraph(&mut self, size: f32, color: Rgb, text: &str) {
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.fonts.width(&candidate, size, false) > self.usable() {
                self.line_of_text(size, false, color, &line);
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            self.line_of_text(size, false, color, &line);
        }
    }

    /// A section title with a rule under it; never the last thing on a page.
    pub fn heading(&mut self, text: &str) {
        self.ensure(130.0);
        self.gap(14.0);
        self.line_of_text(14.0, true, ACCENT, text);
        self.rect(MARGIN, self.y, self.usable(), 0.8, ACCENT);
        self.gap(8.0);
    }

    pub fn subheading(&mut self, text: &str) {
        self.ensure(50.0);
        self.gap(6.0);
        self.line_of_text(10.5, true, INK, text);
        self.gap(2.0);
    }

    fn row(&mut self, columns: &[Column<'_>], cells: &[String], size: f32, bold: bool, color: Rgb) {
        let mut x = MARGIN;
        for (col, cell) in columns.iter().zip(cells) {
            let w = col.share * self.usable();
            let t = self.fonts.fit(cell, size, bold, w - 6.0);
            let tx = match col.align {
                Align::Left => x,
                Align::Right => x + w - self.fonts.width(&t, size, bold),
            };
            self.text_at(tx, self.y, size, bold, color, &t);
            x += w;
        }
    }

    /// A table: header row (repeated after a page break), thin rules between rows.
    pub fn table(&mut self, columns: &[Column<'_>], rows: &[Vec<String>]) {
        const SIZE: f32 = 8.5;
        const ROW: f32 = 15.0;
        let titles: Vec<String> = columns.iter().map(|c| c.title.to_string()).collect();
        let header = |l: &mut Layout<'_>| {
            l.y += ROW - 4.0;
            l.row(columns, &titles, SIZE, true, MUTED);
            l.y += 4.0;
            l.rect(MARGIN, l.y, l.usable(), 0.8, INK);
        };
        self.ensure(ROW * 3.0);
        header(self);
        for r in rows {
            if self.y + ROW > self.height - MARGIN - FOOTER {
                self.new_page();
                header(self);
            }
            self.y += ROW - 4.0;
            self.row(columns, r, SIZE, false, INK);
            self.y += 4.0;
            self.rect(MARGIN, self.y, self.usable(), 0.4, RULE);
        }
        self.gap(6.0);
    }

    /// Horizontal bars, largest first, each with its value and share.
    pub fn bar_chart(&mut self, bars: &[(String, String, f32)]) {
        const ROW: f32 = 16.0;
        let label_w = self.usable() * 0.32;
        let value_w = self.usable() * 0.30;
        let bar_w = self.usable() - label_w - value_w;
        self.ensure(ROW * bars.len().min(6) as f32 + 10.0);
        for (i, (label, value, share)) in bars.iter().enumerate() {
            self.ensure(ROW);
            let top = self.y + 3.0;
            let t = self.fonts.fit(label, 8.5, false, label_w - 6.0);
            self.text_at(MARGIN, top + 9.0, 8.5, false, INK, &t);
            self.rect(MARGIN + label_w, top, bar_w, 10.0, (236, 239, 242));
            self.rect(
                MARGIN + label_w,
                top,
                bar_w * share.clamp(0.0, 1.0),
                10.0,
                PALETTE[i % PALETTE.len()],
            );
            let vx = self.width - MARGIN - self.fonts.width(value, 8.5, false);
            self.text_at(vx, top + 9.0, 8.5, false, INK, value);
            self.y += ROW;
        }
        self.gap(4.0);
    }

    /// A line chart of one series with its lowest and highest values and first and last
    /// labels on the axes.
    pub fn line_chart(
        &mut self,
        values: &[i64],
        labels: (&str, &str),
        axis: (&str, &str),
        color: Rgb,
    ) {
        const H: f32 = 90.0;
        self.ensure(H + 30.0);
        let left = MARGIN + 70.0;
        let right = self.width - MARGIN;
        let top = self.y + 6.0;
        let bottom = top + H;
        self.rect(left, top, right - left, H, (246, 248, 250));
        self.rect(left, bottom, right - left, 0.8, MUTED);
        let (lo, hi) = values
            .iter()
            .fold((i64::MAX, i64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
        let span = (hi - lo) as f32;
        let n = values.len().max(2) - 1;
        let points: Vec<(f32, f32)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let x = left + (right - left) * i as f32 / n as f32;
                // A flat series sits in the middle, not on the axis.
                let share = if span > 0.0 {
                    (*v - lo) as f32 / span
                } else {
                    0.5
                };
                let y = bottom - 6.0 - (H - 12.0) * share;
                (x, y)
            })
            .collect();
        for (x, y) in &points {
            self.rect(x - 1.5, y - 1.5, 3.0, 3.0, color);
        }
        self.line(points, 1.6, color);
        // Axis labels: highest at the top, lowest at the bottom, first and last month below.
        let (lo_text, hi_text) = axis;
        self.text_at(MARGIN, top + 8.0, 7.5, false, MUTED, hi_text);
        self.text_at(MARGIN, bottom - 2.0, 7.5, false, MUTED, lo_text);
        self.text_at(left, bottom + 11.0, 7.5, false, MUTED, labels.0);
        let w = self.fonts.width(labels.1, 7.5, false);
        self.text_at(right - w, bottom + 11.0, 7.5, false, MUTED, labels.1);
        self.y = bottom + 18.0;
    }

    /// Footer on every page: the report's title and "Page i of N".
    pub fn finish(mut self, left: &str, page_of: impl Fn(usize, usize) -> String) -> Vec<Vec<Op>> {
        let n = self.pages.len();
        let (w, h) = (self.width, self.height);
        for (i, page) in self.pages.iter_mut().enumerate() {
            let y = h - MARGIN + 6.0;
            page.push(Op::Rect {
                x: MARGIN,
                y: y - 14.0,
                w: w - 2.0 * MARGIN,
                h: 0.5,
                color: RULE,
            });
            page.push(Op::Text {
                x: MARGIN,
                y,
                size: 8.0,
                bold: false,
                color: MUTED,
                text: self.fonts.fit(left, 8.0, false, (w - 2.0 * MARGIN) * 0.7),
            });
            let label = page_of(i + 1, n);
            let lw = self.fonts.width(&label, 8.0, false);
            page.push(Op::Text {
                x: w - MARGIN - lw,
                y,
                size: 8.0,
                bold: false,
                color: MUTED,
                text: label,
            });
        }
        self.pages
    }
}
