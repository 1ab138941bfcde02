package cpuset

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeTree is a throw-away /proc, /sys and cgroup mount tree.
type fakeTree struct {
	t    *testing.T
	root string
	r    reader
}

func newFakeTree(t *testing.T) *fakeTree {
	root := t.TempDir()
	return &fakeTree{t: t, root: root, r: reader{
		proc:       filepath.Join(root, "proc"),
		sys:        filepath.Join(root, "sys"),
		cgroupRoot: filepath.Join(root, "sys/fs/cgroup"),
	}}
}

// write creates root/rel with content.
func (f *fakeTree) write(rel, content string) {
	f.t.Helper()
	path := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// mountinfo writes proc/self/mountinfo from "fstype;mountRoot;dirUnderTree;superopts" lines.
func (f *fakeTree) mountinfo(mounts ...string) {
	var b strings.Builder
	b.WriteString("22 1 0:21 / /proc rw,nosuid - proc proc rw\n")
	for i, m := range mounts {
		fields := strings.Split(m, ";")
		dir := strings.ReplaceAll(filepath.Join(f.root, fields[2]), " ", `\040`)
		fmt.Fprintf(&b, "%d 22 0:%d %s %s rw,relatime shared:%d - %s cgroup %s\n",
			30+i, 30+i, fields[1], dir, i, fields[0], fields[3])
	}
	f.write("proc/self/mountinfo", b.String())
}

// universe runs the reader and returns its answer and its log.
func (f *fakeTree) universe() (Set, string) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return f.r.universe(log), buf.String()
}

func (f *fakeTree) expect(want string, warn string) {
	f.t.Helper()
	got, log := f.universe()
	if got.String() != want {
		f.t.Errorf("universe = %q, want %q\nlog:\n%s", got, want, log)
	}
	warned := strings.Contains(log, "level=WARN")
	switch {
	case warn == "" && warned:
		f.t.Errorf("unexpected warning:\n%s", log)
	case warn != "" && !strings.Contains(log, warn):
		f.t.Errorf("log lacks warning %q:\n%s", warn, log)
	}
}

const (
	v2Cgroup     = "0::/user.slice/app.scope\n"
	hybridCgroup = "12:cpuset:/job\n11:cpu,cpuacct:/job\n1:name=systemd:/job\n0::/user.slice/app.scope\n"
)

func TestUniverseV2(t *testing.T) {
	f := newFakeTree(t)
	f.write("proc/self/cgroup", v2Cgroup)
	f.mountinfo("cgroup2;/;sys/fs/cgroup;rw,nsdelegate")
	f.write("sys/fs/cgroup/cpuset.cpus.effective", "0-15\n")
	f.write("sys/fs/cgroup/user.slice/app.scope/cpuset.cpus.effective", "2-5,9\n")
	f.write("sys/devices/system/cpu/online", "0-15\n")
	f.expect("2-5,9", "")
}

func TestUniverseV2Ancestor(t *testing.T) {
	// cpuset controller not enabled for the leaf: the nearest ancestor governs.
	f := newFakeTree(t)
	f.write("proc/self/cgroup", v2Cgroup)
	f.mountinfo("cgroup2;/;sys/fs/cgroup;rw")
	f.write("sys/fs/cgroup/cpuset.cpus.effective", "0-15\n")
	f.write("sys/fs/cgroup/user.slice/cpuset.cpus.effective", "4-7\n")
	f.write("sys/fs/cgroup/user.slice/app.scope/cgroup.procs", "1\n")
	f.write("sys/devices/system/cpu/online", "0-15\n")
	f.expect("4-7", "")
}

func TestUniverseV2WithoutMountinfo(t *testing.T) {
	f := newFakeTree(t)
	f.write("proc/self/cgroup", v2Cgroup)
	f.write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n")
	f.write("sys/fs/cgroup/user.slice/app.scope/cpuset.cpus.effective", "1,3\n")
	f.write("sys/devices/system/cpu/online", "0-3\n")
	f.expect("1,3", "")
}

func TestUniverseV2NamespacedMount(t *testing.T) {
	// A container without a cgroup namespace: /proc/self/cgroup shows the
	// host path, the mount shows that cgroup as its root.
	f := newFakeTree(t)
	f.write("proc/self/cgroup", "0::/kubepods/pod1/ctr\n")
	f.mountinfo("cgroup2;/kubepods/pod1/ctr;sys/fs/cgroup;rw")
	f.write("sys/fs/cgroup/cpuset.cpus.effective", "6-7\n")
	f.write("sys/devices/system/cpu/online", "0-7\n")
	f.expect("6-7", "")
}

func TestUniverseV2EscapeAndOutside(t *testing.T) {
	// Mount point with a space (escaped in mountinfo); a cgroup path outside
	// the namespace ("/../x") must not climb above the mount.
	f := newFakeTree(t)
	f.write("proc/self/cgroup", "0::/../../other\n")
	f.mountinfo("cgroup2;/;cg root;rw")
	f.write("cg root/cpuset.cpus.effective", "0-1\n")
	f.write("sys/devices/system/cpu/online", "0-3\n")
	f.expect("0-1", "")
}

func TestUniverseV1(t *testing.T) {
	f := newFakeTree(t)
	f.write("proc/self/cgroup", "4:memory:/job\n3:cpuset:/job\n")
	f.mountinfo("cgroup;/;sys/fs/cgroup/memory;rw,memory", "cgroup;/;sys/fs/cgroup/cpuset;rw,cpuset")
	f.write("sys/fs/cgroup/cpuset/cpuset.effective_cpus", "0-7\n")
	f.write("sys/fs/cgroup/cpuset/job/cpuset.effective_cpus", "0-3\n")
	f.write("sys/fs/cgroup/cpuset/job/cpuset.cpus", "0-5\n")
	f.write("sys/devices/system/cpu/online", "0-7\n")
	f.expect("0-3", "")
}

func TestUniverseV1CpusOnly(t *testing.T) {
	// Older kernels have no cpuset.effective_cpus; joint mount "cpu,cpuset".
	f := newFakeTree(t)
	f.write("proc/self/cgroup", "3:cpu,cpuset:/\n")
	f.mountinfo("cgroup;/;sys/fs/cgroup/cpu,cpuset;rw,cpu,cpuset")
	f.write("sys/fs/cgroup/cpu,cpuset/cpuset.cpus", "2-3\n")
	f.write("sys/devices/system/cpu/online", "0-7\n")
	f.expect("2-3", "")
}

func TestUniverseHybrid(t *testing.T) {
	// systemd hybrid: v1 cpuset, v2 on unified/ (here without mountinfo, as
	// the conventional layout), all three sources intersected.
	f := newFakeTree(t)
	f.write("proc/self/cgroup", hybridCgroup)
	f.write("sys/fs/cgroup/unified/user.slice/app.scope/cpuset.cpus.effective", "0-6\n")
	f.write("sys/fs/cgroup/cpuset/job/cpuset.effective_cpus", "1-7\n")
	f.write("sys/devices/system/cpu/online", "0-5,7\n")
	f.expect("1-5", "")

	// The same through mountinfo.
	f.mountinfo("cgroup;/;sys/fs/cgroup/cpuset;rw,cpuset", "cgroup2;/;sys/fs/cgroup/unified;rw")
	f.expect("1-5", "")
}

func TestUniverseHybridNoV2Cpuset(t *testing.T) {
	// This machine's shape: the unified hierarchy has no cpuset files.
	f := newFakeTree(t)
	f.write("proc/self/cgroup", "3:cpuset:/\n0::/\n")
	f.mountinfo("cgroup;/;sys/fs/cgroup/cpuset;rw,cpuset", "cgroup2;/;sys/fs/cgroup/unified;rw")
	f.write("sys/fs/cgroup/unified/cgroup.procs", "1\n")
	f.write("sys/fs/cgroup/cpuset/cpuset.effective_cpus", "0-1\n")
	f.write("sys/devices/system/cpu/online", "0-1\n")
	f.expect("0-1", "")
}

func TestUniverseOnlineHoles(t *testing.T) {
	f := newFakeTree(t)
	f.write("proc/self/cgroup", v2Cgroup)
	f.mountinfo("cgroup2;/;sys/fs/cgroup;rw")
	f.write("sys/fs/cgroup/user.slice/app.scope/cpuset.cpus.effective", "0-7\n")
	f.write("sys/devices/system/cpu/online", "0-2,5,7\n")
	f.expect("0-2,5,7", "")
}

func TestUniverseOnlineOnly(t *testing.T) {
	f := newFakeTree(t)
	f.write("sys/devices/system/cpu/online", "0-3\n")
	f.expect("0-3", "")
}

func TestUniverseEmptyEffective(t *testing.T) {
	// An empty list says nothing (no process runs on no CPU): skipped quietly.
	f := newFakeTree(t)
	f.write("proc/self/cgroup", v2Cgroup)
	f.mountinfo("cgroup2;/;sys/fs/cgroup;rw")
	f.write("sys/fs/cgroup/user.slice/app.scope/cpuset.cpus.effective", "\n")
	f.write("sys/devices/system/cpu/online", "0-3\n")
	f.expect("0-3", "")
}

func TestUniverseMalformed(t *testing.T) {
	f := newFakeTree(t)
	f.write("proc/self/cgroup", v2Cgroup)
	f.mountinfo("cgroup2;/;sys/fs/cgroup;rw")
	f.write("sys/fs/cgroup/user.slice/app.scope/cpuset.cpus.effective", "0-3,x\n")
	f.write("sys/devices/system/cpu/online", "0-3\n")
	f.expect("0-3", "ignoring malformed CPU list")
}

func TestUniverseGarbageProcFiles(t *testing.T) {
	// Unparseable /proc/self/cgroup and mountinfo lines are skipped.
	f := newFakeTree(t)
	f.write("proc/self/cgroup", "garbage\n0:nopath\n")
	f.write("proc/self/mountinfo", "short line\n1 2 3 - cgroup2\n")
	f.write("sys/devices/system/cpu/online", "0-1\n")
	f.expect("0-1", "")
}

func TestUniverseNothingReadable(t *testing.T) {
	f := newFakeTree(t)
	f.write("proc/cpuinfo", "processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\n\nprocessor\t: 2\n\nprocessor\t: 3\n")
	f.expect(span(max(runtime.NumCPU(), 4)).String(), "using all logical CPUs")

	// Not even cpuinfo: runtime.NumCPU.
	g := newFakeTree(t)
	g.expect(span(runtime.NumCPU()).String(), "using all logical CPUs")
}

func TestUniverseDisjoint(t *testing.T) {
	f := newFakeTree(t)
	f.write("proc/self/cgroup", v2Cgroup)
	f.mountinfo("cgroup2;/;sys/fs/cgroup;rw")
	f.write("sys/fs/cgroup/user.slice/app.scope/cpuset.cpus.effective", "4-7\n")
	f.write("sys/devices/system/cpu/online", "0-3\n")
	_, log := f.universe()
	if !strings.Contains(log, "do not overlap") || !strings.Contains(log, "cgroup2.cpuset.cpus.effective=4-7") {
		t.Errorf("warning should name the sources:\n%s", log)
	}
	f.expect(span(runtime.NumCPU()).String(), "do not overlap")
}

func TestUnescapeMountinfo(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`:   "/a b",
		`/tab\011`:  "/tab\t",
		`/x\\`:      `/x\\`,
		`/short\04`: `/short\04`,
		`/plain`:    "/plain",
	} {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
