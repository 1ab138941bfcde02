package report

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// chromium finds a headless-capable Chromium (Debian's package installs
// /usr/bin/chromium), or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// rgb parses "#rrggbb".
func rgb(t *testing.T, hex string) [3]uint8 {
	t.Helper()
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil || len(hex) != 7 {
		t.Fatalf("bad colour %q", hex)
	}
	return [3]uint8{uint8(v >> 16), uint8(v >> 8), uint8(v)}
}

// TestReportHTMLInChromium opens the HTML report of the tokens-golden
// snapshot (six series) in headless Chromium, screenshots it, and checks
// the pixels: every series' bar colour covers a plot-sized region of its
// own (the six regions are disjoint, as the plots are), the percentile
// markers are drawn, and the page has text and is not blank. Skipped when
// Chromium is not installed (scripts/install-deps.sh installs it).
func TestReportHTMLInChromium(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("chromium not installed (scripts/install-deps.sh installs Debian's chromium)")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	shot := filepath.Join(dir, "out.png")
	var buf bytes.Buffer
	snap := readSnapshot(t, realInputs[5])
	if err := WriteHTML(&buf, Build(snap), "tokens-golden"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--no-first-run", "--disable-extensions", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--screenshot="+shot, "--window-size=1200,2400", "file://"+page)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.Bytes())
	}
	t.Logf("chromium screenshot in %v", time.Since(start).Round(time.Millisecond))
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, stderr.Bytes())
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != 1200 || b.Dy() != 2400 {
		t.Errorf("screenshot is %v, want 1200x2400", b)
	}

	// One pass over the pixels: per target colour, count and bounding box.
	targets := append(append([]string{}, BarColors...), MarkerColor)
	cols := make([][3]uint8, len(targets))
	for i, c := range targets {
		cols[i] = rgb(t, c)
	}
	counts := make([]int, len(targets))
	boxes := make([]image.Rectangle, len(targets))
	nonWhite, dark := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			p := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
			if p != [3]uint8{255, 255, 255} {
				nonWhite++
			}
			if int(p[0])+int(p[1])+int(p[2]) < 200 {
				dark++
			}
			for i, c := range cols {
				if near(p, c) {
					counts[i]++
					pt := image.Rect(x, y, x+1, y+1)
					if boxes[i].Empty() {
						boxes[i] = pt
					} else {
						boxes[i] = boxes[i].Union(pt)
					}
				}
			}
		}
	}
	total := b.Dx() * b.Dy()
	t.Logf("non-white %d, dark %d, per colour %v", nonWhite, dark, counts)
	if nonWhite < total/50 {
		t.Errorf("page looks blank: %d non-white pixels of %d", nonWhite, total)
	}
	if dark < 2000 {
		t.Errorf("no text: %d dark pixels", dark)
	}
	// Bars: a plot's bars cover thousands of pixels at this size; each
	// colour's box must fit in one plot (half the page wide, a few hundred
	// pixels high) and not overlap another plot's.
	for i := range BarColors[:len(snap.Series)] {
		name := snap.Series[i].Name
		if counts[i] < 3000 {
			t.Errorf("%s: %d pixels of bar colour %s, want a drawn histogram", name, counts[i], BarColors[i])
			continue
		}
		if bx := boxes[i]; bx.Dx() > b.Dx()/2 || bx.Dy() > 400 {
			t.Errorf("%s: bar pixels span %v, larger than one plot", name, bx)
		}
		for j := 0; j < i; j++ {
			if boxes[i].Overlaps(boxes[j]) {
				t.Errorf("plots of %s and %s overlap: %v %v", name, snap.Series[j].Name, boxes[i], boxes[j])
			}
		}
	}
	// Markers: dashed lines of MarkerColor across each plot's bars.
	mc := cols[len(targets)-1]
	for i := range BarColors[:len(snap.Series)] {
		n := 0
		bx := boxes[i]
		for y := bx.Min.Y; y < bx.Max.Y; y++ {
			for x := bx.Min.X; x < bx.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				if near([3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}, mc) {
					n++
				}
			}
		}
		if n < 30 {
			t.Errorf("%s: %d marker pixels (%s) over the bars, want the p50/p90/p99 lines", snap.Series[i].Name, n, MarkerColor)
		}
	}
	if t.Failed() {
		keep := filepath.Join(os.TempDir(), fmt.Sprintf("report-chromium-%d.png", os.Getpid()))
		if data, err := os.ReadFile(shot); err == nil && os.WriteFile(keep, data, 0o644) == nil {
			t.Logf("screenshot kept at %s", keep)
		}
	}
}

// near reports whether two colours match within 2 per channel (colour
// management can shift an exact fill by one).
func near(a, b [3]uint8) bool {
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < -2 || d > 2 {
			return false
		}
	}
	return true
}
