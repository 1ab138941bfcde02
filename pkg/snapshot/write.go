package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlperf-tools/aggregator/internal/testhook"
)

// FinalFileName is the name of the final snapshot file in the output
// directory; the benchmark's report reads OUT/final_snapshot.json.
const FinalFileName = "final_snapshot.json"

// WriteFinal writes s in its JSON dict form (AppendJSON) to
// dir/final_snapshot.json atomically (WriteFileAtomic), as upstream's
// publish_final does. The directory must exist.
func WriteFinal(dir string, s *Snapshot) error {
	data := AppendJSON(make([]byte, 0, 64<<10), s)
	if err := WriteFileAtomic(filepath.Join(dir, FinalFileName), data); err != nil {
		return fmt.Errorf("snapshot: write final snapshot: %w", err)
	}
	return nil
}

// WriteFileAtomic replaces path with data so that a reader sees either the
// old contents or all of data, never a partial file, even across a crash:
// it writes path+".tmp" in the same directory, fsyncs it, renames it over
// path and fsyncs the parent directory so the rename is durable. On any
// failure before the rename the temp file is removed. The temp name is
// upstream's (path + ".tmp"), so a stale one from a crashed run is simply
// overwritten.
func WriteFileAtomic(path string, data []byte) (err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666) // 0666 minus umask, as Python open("wb")
	if err != nil {
		return fmt.Errorf("atomic write %s: create temp file: %w", path, err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			// Best effort: the temp file may already be gone (directory
			// removed); that is not worth reporting over the real error.
			if rmErr := os.Remove(tmp); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
				err = fmt.Errorf("%w (and removing temp file: %v)", err, rmErr)
			}
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("atomic write %s: write temp file: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("atomic write %s: fsync temp file: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomic write %s: close temp file: %w", path, err)
	}
	testhook.Pause("snapshot.tmp")
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomic write %s: rename temp file: %w", path, err)
	}
	renamed = true
	testhook.Pause("snapshot.renamed")
	// The rename consumed tmp, so there is nothing left to clean up; a
	// failed directory fsync still means the rename may not be durable.
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open parent directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync parent directory: %w", err)
	}
	return nil
}
