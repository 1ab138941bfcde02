package snapshot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// assertNoTemp fails if any *.tmp file is left in dir.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(left) > 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}

// TestWriteFinal ports test_publish_final_writes_json_atomically and
// test_publish_final_writes_interrupted_state: the file holds the JSON dict
// form with the terminal state and pending count, and no .tmp remains.
func TestWriteFinal(t *testing.T) {
	for _, tt := range []struct {
		state   State
		pending int64
	}{{Complete, 0}, {Interrupted, 3}} {
		t.Run(tt.state.String(), func(t *testing.T) {
			dir := t.TempDir()
			s := &Snapshot{Counter: 1, TimestampNs: 99, State: tt.state, NPendingTasks: tt.pending,
				Counters: []Counter{{"c", Int(5)}}}
			if err := WriteFinal(dir, s); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "final_snapshot.json")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, AppendJSON(nil, s)) {
				t.Fatalf("file content differs from AppendJSON:\n%s", data)
			}
			got, err := ReadJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.state || got.NPendingTasks != tt.pending {
				t.Fatalf("decoded state %v, n_pending_tasks %d", got.State, got.NPendingTasks)
			}
			if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("tmp file should have been renamed: %v", err)
			}
			assertNoTemp(t, dir)
		})
	}
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := os.WriteFile(path, []byte("old contents that are longer than the new ones"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A stale temp file from a crashed run is overwritten, not appended to.
	if err := os.WriteFile(path+".tmp", []byte("stale partial garbage garbage garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "new" {
		t.Fatalf("content = %q, want %q", data, "new")
	}
	assertNoTemp(t, dir)
}

// TestWriteFileAtomicFailures checks that every failure is reported with the
// path, leaves no temp file and never leaves a partial target.
func TestWriteFileAtomicFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the target path
		msg   string
	}{
		{
			// Port of test_disk_failure_does_not_block_pubsub's disk half:
			// the parent "directory" is a regular file.
			name: "parent is a file",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "not_a_dir")
				if err := os.WriteFile(p, []byte("this is a file, not a directory"), 0o600); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(p, "final_snapshot.json")
			},
			msg: "create temp file",
		},
		{
			name: "directory removed",
			setup: func(t *testing.T, dir string) string {
				sub := filepath.Join(dir, "gone")
				if err := os.Mkdir(sub, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Remove(sub); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(sub, "final_snapshot.json")
			},
			msg: "create temp file",
		},
		{
			// The temp file is written, then the rename onto a non-empty
			// directory fails: the temp file must be cleaned up.
			name: "rename fails",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "final_snapshot.json")
				if err := os.MkdirAll(filepath.Join(p, "occupied"), 0o755); err != nil {
					t.Fatal(err)
				}
				return p
			},
			msg: "rename temp file",
		},
		{
			name: "read-only directory",
			setup: func(t *testing.T, dir string) string {
				if os.Geteuid() == 0 {
					t.Skip("root ignores directory permissions")
				}
				sub := filepath.Join(dir, "ro")
				if err := os.Mkdir(sub, 0o555); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(sub, 0o755) })
				return filepath.Join(sub, "final_snapshot.json")
			},
			msg: "create temp file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			err := WriteFileAtomic(path, []byte(`{"x": 1}`))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q lacks path or %q", err, tt.msg)
			}
			if _, err := os.Lstat(path + ".tmp"); err == nil {
				t.Fatal("temp file left behind")
			}
			if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
				t.Fatal("target file created despite the error")
			}
		})
	}
}

// TestWriteFinalErrorContext checks WriteFinal's error names the operation.
func TestWriteFinalErrorContext(t *testing.T) {
	err := WriteFinal(filepath.Join(t.TempDir(), "missing"), &Snapshot{})
	if err == nil || !strings.Contains(err.Error(), "write final snapshot") {
		t.Fatalf("err = %v", err)
	}
}

// TestWriteFileAtomicReadersSeeWholeFiles rewrites a file repeatedly with
// two contents of different lengths while a reader polls it: every read
// must return one of them whole.
func TestWriteFileAtomicReadersSeeWholeFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "final_snapshot.json")
	a := AppendJSON(nil, realisticSnapshot())
	b := AppendJSON(nil, taggedUnionSnapshot())
	if err := WriteFileAtomic(path, a); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Value
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			data, err := os.ReadFile(path)
			if err != nil {
				bad.Store("read: " + err.Error())
				return
			}
			if !bytes.Equal(data, a) && !bytes.Equal(data, b) {
				bad.Store("partial file of " + itoa(len(data)) + " bytes")
				return
			}
		}
	}()
	for i := 0; i < 50; i++ {
		data := a
		if i%2 == 0 {
			data = b
		}
		if err := WriteFileAtomic(path, data); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}
	assertNoTemp(t, dir)
}
